import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { latestRunFor, layerWidths, modelFigures } from '../../../src/extension/runs/layer-figures';
import {
  describeFigures,
  listRuns,
  nameTag,
  newRunDir,
  readRunSummary,
  runNameTags,
} from '../../../src/extension/runs/run-summary';
import { tempDir } from '../../helpers/tmp';

function write(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
}

const model = (widths: Record<string, number>) => ({
  modelTopology: {
    class_name: 'Sequential',
    config: {
      name: 's',
      layers: Object.entries(widths).map(([name, w]) => ({
        class_name: name.startsWith('conv') ? 'Conv2D' : 'Dense',
        config: { name, ...(name.startsWith('conv') ? { filters: w } : { units: w }) },
      })),
    },
  },
});

describe('run folders as the sidebar and the CodeLens read them', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  it('names new run folders by kind and time, never reusing an existing one', () => {
    const t = new Date(2026, 10, 25, 9, 5, 7);
    const a = newRunDir(tmp.dir, 'prune', t);
    assert.equal(path.basename(a), 'prune-20261125-090507');
    fs.mkdirSync(a);
    assert.equal(path.basename(newRunDir(tmp.dir, 'prune', t)), 'prune-20261125-090507-2');
  });

  it('names a run by what it is: criterion and target, composite, trials (issue 17 item 8)', () => {
    const t = new Date(2026, 11, 6, 4, 25, 1);
    const name = (command: string, kind: 'prune' | 'relevance' | 'search', flags: Record<string, string>) =>
      path.basename(newRunDir(tmp.dir, kind, t, runNameTags(command, flags)));
    assert.equal(
      name('prune', 'prune', { criterion: 'lrp:epsilon-plus-flat', 'max-drop': '1' }),
      'prune-lrp-epsilon-plus-flat-1pt-20261206-042501',
    );
    assert.equal(name('prune', 'prune', { criterion: 'taylor', rate: '0.3' }), 'prune-taylor-rate0.3-20261206-042501');
    assert.equal(name('prune', 'prune', {}), 'prune-lrp-epsilon-plus-flat-curve-20261206-042501');
    assert.equal(
      name('prune', 'prune', { criterion: 'lrp:/home/me/best-composite.json', 'max-drop': '0.5' }),
      'prune-lrp-best-composite.json-0.5pt-20261206-042501',
    );
    assert.equal(
      name('attribute', 'relevance', { composite: 'epsilon-gamma-box' }),
      'relevance-epsilon-gamma-box-20261206-042501',
    );
    assert.equal(name('search', 'search', { trials: '20' }), 'search-20trials-20261206-042501');
    assert.equal(nameTag('  Lrp:ε/Plus  '), 'lrp-plus');
    // Still read as the kind they are.
    assert.equal(
      readRunSummary(fs.mkdirSync(path.join(tmp.dir, 'prune-taylor-rate0.3-20261206-042501'), { recursive: true })!)
        ?.kind,
      'prune',
    );
  });

  it('reads a prune run: AUC, physical rate and speed-up, newest first', () => {
    const ws = tmp.dir;
    const runs = path.join(ws, '.pxp', 'runs');
    write(path.join(runs, 'prune-1', 'run.json'), {
      command: 'prune',
      model: 'm/model.json',
      auc: 0.3368,
      physical: { rate: 0.25, speedup: 1.4212 },
    });
    write(path.join(runs, 'search-2', 'run.json'), { command: 'search', model: 'm/model.json' });
    const trial = (number: number, auc: number) =>
      JSON.stringify({
        number,
        params: { 'low.rule': 'z-plus' },
        auc,
        curve: [{ rate: 0, accuracy: 0.9 }],
        seconds: 1,
        cached: false,
      }) + '\n';
    write(path.join(runs, 'search-2', 'trials.jsonl'), trial(0, 0.4) + trial(1, 0.41));
    write(path.join(runs, 'search-2', 'curve.json'), { auc: 0.45 });
    write(path.join(runs, 'notes.txt'), 'not a run');
    fs.utimesSync(path.join(runs, 'prune-1'), new Date(1000), new Date(1000));
    const list = listRuns(ws);
    assert.deepEqual(
      list.map((r) => r.name),
      ['search-2', 'prune-1'],
    );
    assert.equal(describeFigures(list[1]), 'AUC 0.337 · 25 % removed · 1.42× faster');
    // With the curve (unpruned accuracy at rate 0) and the pruned model's accuracy: both, and ⚠ for a collapse.
    write(path.join(runs, 'prune-1', 'curve.json'), {
      auc: 0.3368,
      points: [
        { rate: 0, accuracy: 0.93 },
        { rate: 0.25, accuracy: 0.91 },
      ],
    });
    write(path.join(runs, 'prune-1', 'run.json'), {
      command: 'prune',
      auc: 0.3368,
      classes: null,
      physical: {
        rate: 0.25,
        speedup: 1.4212,
        prunedAccuracy: 0.912,
        layers: [{ name: 'fc', components: { original: 10, pruned: 10 } }],
      },
    });
    assert.equal(
      describeFigures(readRunSummary(path.join(runs, 'prune-1'))!),
      'AUC 0.337 · 93.0 → 91.2 % · 25 % removed · 1.42× faster',
    );
    write(path.join(runs, 'prune-3', 'curve.json'), { auc: 0.3, points: [{ rate: 0, accuracy: 0.93 }] });
    write(path.join(runs, 'prune-3', 'run.json'), {
      command: 'prune',
      auc: 0.3,
      physical: {
        rate: 0.5,
        speedup: 2,
        prunedAccuracy: 0.096,
        layers: [{ name: 'fc', components: { original: 10, pruned: 10 } }],
      },
    });
    const collapsed = readRunSummary(path.join(runs, 'prune-3'))!;
    assert.equal(collapsed.warning?.kind, 'collapse');
    assert.equal(describeFigures(collapsed), 'AUC 0.300 · ⚠ 93.0 → 9.6 % · 50 % removed · 2.00× faster');
    write(path.join(runs, 'prune-4', 'curve.json'), {
      auc: 0.3,
      points: [
        { rate: 0, accuracy: 0.93 },
        { rate: 0.5, accuracy: 0.5 },
      ],
    });
    assert.equal(describeFigures(readRunSummary(path.join(runs, 'prune-4'))!), 'AUC 0.300 · acc 93.0 %');
    assert.equal(describeFigures(list[0]), 'AUC 0.450 · 2 trials');
    assert.equal(list[1].model, path.join(ws, 'm', 'model.json'));
  });

  it('gives each layer its share of |relevance| and the components the pruned model removed', () => {
    const ws = tmp.dir;
    write(path.join(ws, 'm', 'model.json'), model({ conv1: 4, dense1: 3 }));
    const run = path.join(ws, '.pxp', 'runs', 'prune-1');
    write(path.join(run, 'run.json'), { command: 'prune', model: 'm/model.json' });
    write(path.join(run, 'relevance.json'), {
      layers: [
        { name: 'conv1', scores: [1, -1, 2, 0] },
        { name: 'dense1', scores: [3, 1, 0] },
      ],
    });
    write(path.join(run, 'pruned', 'model.json'), model({ conv1: 3, dense1: 1 }));
    const summary = readRunSummary(run, ws)!;
    const f = modelFigures(summary);
    assert.deepEqual(f.layers.get('conv1'), { share: 0.5, components: 4, removed: 1 });
    assert.deepEqual(f.layers.get('dense1'), { share: 0.5, components: 3, removed: 2 });
    assert.equal(latestRunFor(path.join(ws, 'm', 'model.json'), [summary])?.name, 'prune-1');
    assert.equal(latestRunFor(path.join(ws, 'other', 'model.json'), [summary]), undefined);
    assert.deepEqual(
      [...layerWidths(path.join(ws, 'm', 'model.json'))],
      [
        ['conv1', 4],
        ['dense1', 3],
      ],
    );
  });

  it('sums an attribution run (components.json) over samples', () => {
    const ws = tmp.dir;
    const run = path.join(ws, '.pxp', 'runs', 'relevance-1');
    write(path.join(run, 'components.json'), {
      model: path.join(ws, 'm', 'model.json'),
      layers: [
        {
          name: 'a',
          relevance: [
            [1, 0],
            [0, 1],
          ],
        },
        { name: 'b', relevance: [[-2], [0]] },
      ],
    });
    const summary = readRunSummary(run, ws)!;
    assert.equal(summary.kind, 'relevance');
    assert.equal(summary.model, path.join(ws, 'm', 'model.json'));
    const f = modelFigures(summary);
    assert.deepEqual(f.layers.get('a'), { share: 0.5, components: 2 });
    assert.deepEqual(f.layers.get('b'), { share: 0.5, components: 1 });
  });
});
