import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DEMO_MODEL, demoRuns } from './demo-runs';
import { layerNameRange } from '../../../src/views/layer-position';
import { panelForRun } from '../../../src/views/run-kind';
import { tempDir } from '../../helpers/tmp';

describe('which panel opens a run folder', function () {
  this.timeout(300_000);

  it('relevance for pxp attribute and a masked prune run, diff for a physically pruned run, search for pxp search', () => {
    const runs = demoRuns();
    assert.equal(panelForRun(runs.attribution), 'relevance');
    assert.equal(panelForRun(runs.masked), 'relevance');
    assert.equal(panelForRun(runs.pruned), 'diff');
    assert.equal(panelForRun(runs.search), 'search');
  });

  it('none for a folder that is no run, or is missing', () => {
    const { dir, cleanup } = tempDir();
    try {
      fs.writeFileSync(path.join(dir, 'notes.txt'), 'x');
      assert.equal(panelForRun(dir), undefined);
      assert.equal(panelForRun(path.join(dir, 'missing')), undefined);
    } finally {
      cleanup();
    }
  });
});

describe('finding a layer in model.json', () => {
  it("selects the name in the layer's config, not in the weights manifest", () => {
    const text = fs.readFileSync(DEMO_MODEL, 'utf8');
    for (const layer of ['block1_conv1', 'block3_conv2', 'fc1', 'classifier']) {
      const range = layerNameRange(text, layer)!;
      assert.ok(range, layer);
      assert.equal(text.slice(range.start, range.end), layer);
      assert.ok(range.start < text.indexOf('"weightsManifest"'), `${layer} is found in the topology`);
      assert.match(text.slice(Math.max(0, range.start - 20), range.start), /"name"\s*:\s*"$/);
    }
  });

  it('treats the name literally and says when it is absent', () => {
    const text = '{"layers": [{"config": {"name": "a.b"}}, {"config": {"name": "a+b"}}]}';
    const range = layerNameRange(text, 'a+b')!;
    assert.equal(text.slice(range.start, range.end), 'a+b');
    assert.equal(layerNameRange(text, 'a.'), undefined);
    assert.equal(layerNameRange(text, 'fc1'), undefined);
  });
});
