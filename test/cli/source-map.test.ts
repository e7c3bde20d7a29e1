import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { SourceMapFile } from '../../src/shared/run-folder/types';
import { pxp } from '../helpers/pxp';
import { SOURCE_MAP_MODEL_PY, sourceMapFixtures } from '../helpers/source-map-fixtures';
import { listFiles, tempDir } from '../helpers/tmp';

describe('pxp attribute on a model from PyTorch writes source-map.json', function () {
  this.timeout(300_000);
  let fx: ReturnType<typeof sourceMapFixtures>;
  let tmp: ReturnType<typeof tempDir>;
  before(() => {
    fx = sourceMapFixtures();
    tmp = tempDir('pxp-cli-srcmap-');
    fs.mkdirSync(path.join(tmp.dir, 'code'));
    fs.copyFileSync(SOURCE_MAP_MODEL_PY, path.join(tmp.dir, 'code', 'model.py'));
  });
  after(() => tmp?.cleanup());

  it('places every component of a verbose export in the --source-roots code, and says how in its output', () => {
    const out = path.join(tmp.dir, 'run');
    const r = pxp(['attribute', '--model', path.join(fx.dir, 'verbose.onnx'), '--inputs', path.join(fx.dir, 'x.npy'), '--source-roots', path.join(tmp.dir, 'code'), '--heatmaps', '0', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const map = JSON.parse(fs.readFileSync(path.join(out, 'source-map.json'), 'utf8')) as SourceMapFile;
    const components = JSON.parse(fs.readFileSync(path.join(out, 'components.json'), 'utf8')).layers.map((l: { name: string }) => l.name);
    assert.deepEqual(map.components, components);
    assert.ok(components.length >= 8);
    for (const c of components) {
      assert.equal(map.modules[c]?.file, path.join(tmp.dir, 'code', 'model.py'), c);
      assert.equal(map.modules[c].definitionLine, fx.truth.modules[c].built, c);
    }
    assert.deepEqual(map.unplaced, []);
    assert.match(r.stdout, new RegExp(`source map: \\d+ modules placed by the export's stack, \\d+ by reading the .py files, 0 unplaced; ${components.length}/${components.length} components placed`));
  });

  it('refuses a --source-roots entry that is not a folder, writing nothing', () => {
    const out = path.join(tmp.dir, 'refused');
    const r = pxp(['attribute', '--model', path.join(fx.dir, 'plain.onnx'), '--inputs', path.join(fx.dir, 'x.npy'), '--source-roots', path.join(tmp.dir, 'nowhere'), '--out', out]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--source-roots: .*nowhere is not a folder/);
    assert.deepEqual(listFiles(out), []);
  });
});
