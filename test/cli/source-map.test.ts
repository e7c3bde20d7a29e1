import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { SourceMapFile } from '../../src/shared/run-folder/types';
import { readDiffView } from '../../src/views/diff-view';
import { readRelevanceView } from '../../src/views/relevance-view';
import { layerPlace, readSourceMap } from '../../src/views/source-place';
import { readRunSummary } from '../../src/extension/runs/run-summary';
import {
  describeModule,
  latestSourceFigures,
  moduleHoverMarkdown,
  relevanceBars,
} from '../../src/extension/runs/source-figures';
import { pxp } from '../helpers/pxp';
import { SOURCE_MAP_MODEL_PY, sourceMapFixtures } from '../helpers/source-map-fixtures';
import { listFiles, tempDir } from '../helpers/tmp';

describe('pxp attribute and prune on a model from PyTorch write source-map.json', function () {
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
    const r = pxp([
      'attribute',
      '--model',
      path.join(fx.dir, 'verbose.onnx'),
      '--inputs',
      path.join(fx.dir, 'x.npy'),
      '--source-roots',
      path.join(tmp.dir, 'code'),
      '--heatmaps',
      '0',
      '--out',
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const map = JSON.parse(fs.readFileSync(path.join(out, 'source-map.json'), 'utf8')) as SourceMapFile;
    const components = JSON.parse(fs.readFileSync(path.join(out, 'components.json'), 'utf8')).layers.map(
      (l: { name: string }) => l.name,
    );
    assert.deepEqual(map.components, components);
    assert.ok(components.length >= 8);
    for (const c of components) {
      assert.equal(map.modules[c]?.file, path.join(tmp.dir, 'code', 'model.py'), c);
      assert.equal(map.modules[c].definitionLine, fx.truth.modules[c].built, c);
    }
    assert.deepEqual(map.unplaced, []);
    assert.match(
      r.stdout,
      new RegExp(
        `source map: \\d+ modules placed by the export's stack, \\d+ by reading the .py files, 0 unplaced; ${components.length}/${components.length} components placed`,
      ),
    );

    // The folder is PXP's own result: --force replaces it (source-map.json included).
    const again = pxp([
      'attribute',
      '--model',
      path.join(fx.dir, 'verbose.onnx'),
      '--inputs',
      path.join(fx.dir, 'x.npy'),
      '--heatmaps',
      '0',
      '--out',
      out,
      '--force',
    ]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(fs.existsSync(path.join(out, 'source-map.json')), true);
  });

  it("prune --rate: the figures the editor shows on model.py are the run's own (channels kept, removed indices, rule, relevance)", () => {
    const out = path.join(tmp.dir, 'prune');
    const code = path.join(tmp.dir, 'code');
    const r = pxp([
      'prune',
      '--model',
      path.join(fx.dir, 'verbose.onnx'),
      '--reference',
      fx.dir,
      '--eval',
      fx.dir,
      '--rates',
      '0,0.3',
      '--rate',
      '0.3',
      '--source-roots',
      code,
      '--out',
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const run = JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8'));
    const relevance = JSON.parse(fs.readFileSync(path.join(out, 'relevance.json'), 'utf8'));
    const summary = readRunSummary(out)!;
    const f = latestSourceFigures(path.join(code, 'model.py'), [summary])!;
    assert.ok(f, 'the run places modules in model.py');
    assert.equal(latestSourceFigures(path.join(tmp.dir, 'elsewhere.py'), [summary]), undefined);
    let removedTotal = 0;
    const grand = relevance.layers.reduce(
      (a: number, l: { scores: number[] }) => a + l.scores.reduce((x, v) => x + Math.abs(v), 0),
      0,
    );
    for (const l of relevance.layers as { name: string; kind: string; scores: number[] }[]) {
      const m = f.modules.find((x) => x.module === l.name)!;
      assert.ok(m, `${l.name} is in model.py`);
      assert.equal(m.definitionLine, fx.truth.modules[l.name].built);
      const diff = run.physical.layers.find((d: { name: string }) => d.name === l.name);
      assert.equal(m.channels, diff.components.original, l.name);
      assert.equal(m.kept, diff.components.pruned, l.name);
      assert.equal((m.removed ?? []).length, m.channels! - m.kept!, `${l.name}: removed indices`);
      removedTotal += (m.removed ?? []).length;
      assert.deepEqual(m.scores, l.scores.map(Math.abs));
      assert.ok(Math.abs(m.share! - l.scores.reduce((a, v) => a + Math.abs(v), 0) / grand) < 1e-12);
      assert.equal(m.rule, relevance.rules.find((x: { name: string }) => x.name === l.name).rule);
      assert.match(
        describeModule(m),
        new RegExp(
          `^${l.name.replace(/\./g, '\\.')} · ${m.channels}${m.kept !== m.channels ? ` → ${m.kept}` : ''} ${l.kind === 'dense' ? 'neurons' : 'channels'} · \\d+\\.\\d % of the relevance$`,
        ),
      );
      const md = moduleHoverMarkdown(m, summary.name);
      assert.ok(md.includes(relevanceBars(m.scores!, m.removed)), 'the hover shows one bar per channel');
      assert.ok(md.includes(`LRP rule: ${m.rule}`));
    }
    // The panels' headers name model.py; a layer's place is its definition there.
    assert.equal(readRelevanceView(out).sourceFile, path.join(code, 'model.py'));
    assert.equal(readDiffView(out).sourceFile, path.join(code, 'model.py'));
    assert.deepEqual(layerPlace(readSourceMap(out)!, 'layer1.0.conv1'), {
      place: JSON.parse(fs.readFileSync(path.join(out, 'source-map.json'), 'utf8')).modules['layer1.0.conv1'],
    });
    assert.equal(layerPlace(readSourceMap(out)!, 'no.such.module'), undefined);
    assert.ok(run.physical.removed > 0);
    assert.equal(removedTotal, run.physical.removed);
  });

  it('draws one bar per channel, scaled to the largest, removed channels marked below', () => {
    assert.equal(relevanceBars([0, 1, 2, 4]), '▁▃▅█');
    assert.equal(relevanceBars([4, 0], [1]), '█▁\n ×');
  });

  it('refuses a --source-roots entry that is not a folder, writing nothing', () => {
    const out = path.join(tmp.dir, 'refused');
    const r = pxp([
      'attribute',
      '--model',
      path.join(fx.dir, 'plain.onnx'),
      '--inputs',
      path.join(fx.dir, 'x.npy'),
      '--source-roots',
      path.join(tmp.dir, 'nowhere'),
      '--out',
      out,
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--source-roots: .*nowhere is not a folder/);
    assert.deepEqual(listFiles(out), []);
  });
});
