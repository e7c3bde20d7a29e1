import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { PxpError } from '../../../src/core/errors';
import { summarizeModel } from '../../../src/core/graph/summary';
import { isDiffView } from '../../../src/protocol/webview';
import { readDiffView } from '../../../src/views/diff-view';
import { readModelJsonLayers } from '../../../src/views/model-json-layers';
import { DEMO_MODEL, demoRuns } from './demo-runs';

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));

describe('architecture diff view of a prune run', function () {
  this.timeout(300_000);

  it('takes the headline figures from run.json and curve.json: ×-smaller, ×-faster, accuracy drop', () => {
    const { pruned } = demoRuns();
    const view = readDiffView(pruned);
    const run = readJson(path.join(pruned, 'run.json'));
    const curve = readJson(path.join(pruned, 'curve.json'));
    const p = run.physical;
    assert.equal(view.summary.timesSmaller, p.params.original / p.params.pruned);
    assert.equal(view.summary.timesFaster, p.speedup);
    assert.equal(view.summary.timesFewerFlops, p.flops.original / p.flops.pruned);
    const unpruned = curve.points.find((q: { rate: number }) => q.rate === 0).accuracy;
    assert.equal(view.summary.accuracy.original, unpruned);
    assert.equal(view.summary.accuracy.pruned, p.prunedAccuracy);
    assert.ok(Math.abs(view.summary.accuracyDropPoints - 100 * (unpruned - p.prunedAccuracy)) < 1e-9);
    assert.deepEqual(view.summary.latencyMs, {
      original: p.latencyMs.original,
      pruned: p.latencyMs.pruned,
      batch: p.latencyMs.batch,
      engine: p.latencyMs.engine,
    });
    assert.deepEqual(view.summary.components, { removed: p.removed, total: p.total });
    assert.equal(view.rate, 0.25);
    assert.ok(isDiffView(view));
  });

  it("has per-layer parameters and FLOPs that add up to the engine's totals, original and pruned", () => {
    const { pruned } = demoRuns();
    const view = readDiffView(pruned);
    const p = readJson(path.join(pruned, 'run.json')).physical;
    const sum = (f: (l: (typeof view.layers)[number]) => number) => view.layers.reduce((a, l) => a + f(l), 0);
    assert.equal(
      sum((l) => l.params.original),
      p.params.original,
    );
    assert.equal(
      sum((l) => l.params.pruned),
      p.params.pruned,
    );
    assert.equal(
      sum((l) => l.flops?.original ?? 0),
      p.flops.original,
    );
    assert.equal(
      sum((l) => l.flops?.pruned ?? 0),
      p.flops.pruned,
    );
    // Components removed layer by layer add up to the plan's count.
    assert.equal(
      sum((l) => (l.components ? l.components.original - l.components.pruned : 0)),
      p.removed,
    );
    assert.ok(
      view.layers.some((l) => l.components && l.components.pruned < l.components.original),
      'some layer lost components',
    );
  });

  it('says how a run ranked and chose its rate when not by the defaults (normalized scores, --max-drop)', () => {
    const { pruned } = demoRuns();
    assert.equal(readDiffView(pruned).how, undefined);
    // The same run folder with the settings a --normalize mean --max-drop 5 run writes.
    const dir = fs.mkdtempSync(path.join(path.dirname(pruned), 'how-'));
    fs.cpSync(pruned, dir, { recursive: true });
    const run = readJson(path.join(dir, 'run.json'));
    run.settings.normalize = 'mean';
    run.physical.chosenBy = { maxDropPoints: 5, baselineAccuracy: 0.93, maskedAccuracyAtRate: 0.9 };
    fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify(run));
    const view = readDiffView(dir);
    assert.deepEqual(view.how, [
      'scores normalized per layer by their mean before the ranking',
      'rate chosen by --max-drop 5: the largest before the accuracy falls more than 5 points',
    ]);
    assert.ok(isDiffView(view));
    assert.ok(!isDiffView({ ...view, how: [3] }));
  });

  it('warns when the pruned model collapsed to near chance or lost many points, and says why the plan left the curve', () => {
    const { pruned } = demoRuns();
    const dir = fs.mkdtempSync(path.join(path.dirname(pruned), 'collapse-'));
    fs.cpSync(pruned, dir, { recursive: true });
    const run = readJson(path.join(dir, 'run.json'));
    const unpruned = readJson(path.join(dir, 'curve.json')).points[0].accuracy;
    assert.ok(unpruned > 0.85, `the demo model is accurate: ${unpruned}`);
    run.physical.prunedAccuracy = 0.096;
    run.physical.curveRemoved = run.physical.removed + 3;
    run.physical.differences = [
      { cause: 'residual', groups: 3, kept: 3, added: 0, why: 'channels joined by a residual add go together' },
    ];
    fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify(run));
    const view = readDiffView(dir);
    assert.equal(view.warning?.kind, 'collapse');
    assert.match(view.warning!.text, /near chance \(10\.0 % for 10 classes\)/);
    assert.deepEqual(view.how, [
      `not the curve's point: the curve removes ${run.physical.removed + 3} components, the pruned model ${run.physical.removed}, because channels joined by a residual add go together`,
    ]);
    assert.ok(isDiffView(view));
    assert.ok(!isDiffView({ ...view, warning: { kind: 'meh', text: 'x' } }));
    // The demo run at 0.25 as written: far from chance, a drop warning only beyond 5 points.
    const kept = readJson(path.join(pruned, 'run.json')).physical.prunedAccuracy;
    assert.equal(
      readDiffView(pruned).warning?.kind,
      100 * (unpruned - kept) > 5 ? 'drop' : undefined,
      `${unpruned} → ${kept}`,
    );
  });

  it('refuses a prune run without a physically pruned model', () => {
    const { masked } = demoRuns();
    assert.throws(
      () => readDiffView(masked),
      (e: unknown) => e instanceof PxpError && /no physical section/.test(e.message) && e.message.includes(masked),
    );
  });
});

describe('model.json layer sizes without tfjs', () => {
  it("match the engine's model summary layer by layer (parameters, FLOPs = 2 × MACs)", async () => {
    const json = readJson(DEMO_MODEL);
    const model = await tf.models.modelFromJSON(json.modelTopology);
    try {
      const summary = summarizeModel(model);
      const ours = new Map(readModelJsonLayers(DEMO_MODEL).map((l) => [l.name, l]));
      for (const layer of summary.layers) {
        const mine = ours.get(layer.name);
        assert.ok(mine, `layer ${layer.name}`);
        assert.equal(mine.params, layer.params, `${layer.name} parameters`);
        if (layer.macs > 0) assert.equal(mine.flops, 2 * layer.macs, `${layer.name} FLOPs`);
      }
    } finally {
      model.dispose();
    }
  });
});
