import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readNpy, writeNpy } from '../../src/core/io/npy';
import { pxp } from '../helpers/pxp';
import { FASHION, REPO, listFiles, tempDir } from '../helpers/tmp';

const DEMO = path.join(REPO, 'examples', 'fashion-mnist');
const MODEL = path.join(DEMO, 'model', 'model.json');
const data = ['--reference', path.join(DEMO, 'reference'), '--eval', path.join(DEMO, 'test')];

describe('pxp prune (masking curves)', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  it('on the demo model, LRP keeps accuracy longer than random pruning (higher AUC); the run folder holds the curve', () => {
    const auc: Record<string, number> = {};
    for (const criterion of ['lrp:epsilon-plus-flat', 'random']) {
      const out = path.join(tmp.dir, criterion.replace(':', '-'));
      const r = pxp([
        'prune',
        '--model',
        MODEL,
        ...data,
        '--criterion',
        criterion,
        '--seed',
        '0',
        '--out',
        out,
        '--json',
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(listFiles(out), [
        'cost.svg',
        'curve.json',
        'curve.svg',
        'layers.svg',
        'relevance.json',
        'report.html',
        'run.json',
      ]);
      const curve = JSON.parse(fs.readFileSync(path.join(out, 'curve.json'), 'utf8'));
      assert.equal(curve.criterion, criterion);
      assert.deepEqual(
        curve.points.map((p: { rate: number }) => p.rate),
        Array.from({ length: 20 }, (_, i) => i / 20),
      );
      assert.ok(curve.points[0].accuracy > 0.9, 'the unpruned demo model is accurate');
      for (let i = 1; i < 20; i++)
        assert.ok(curve.points[i].params <= curve.points[i - 1].params && curve.points[i].params > 0);
      const relevance = JSON.parse(fs.readFileSync(path.join(out, 'relevance.json'), 'utf8'));
      assert.equal(relevance.layers.length, 7);
      auc[criterion] = curve.auc;
    }
    assert.ok(auc['lrp:epsilon-plus-flat'] > auc.random + 0.05, JSON.stringify(auc));
  });

  it("--rate removes components physically: the curve's point at that rate, a smaller LayersModel whose accuracy equals the masked one", () => {
    const out = path.join(tmp.dir, 'run');
    const r = pxp([
      'prune',
      '--model',
      MODEL,
      ...data,
      '--criterion',
      'taylor',
      '--rates',
      '0,0.3',
      '--rate',
      '0.3',
      '--out',
      out,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(listFiles(path.join(out, 'pruned')), ['model.json', 'weights.bin']);
    const p = r.json.physical;
    // The curve's own point at 0.3 (curve.json), not floor(0.3·N): each layer's protected component stays.
    const point = (
      JSON.parse(fs.readFileSync(path.join(out, 'curve.json'), 'utf8')).points as {
        rate: number;
        removed: number;
        accuracy: number;
      }[]
    ).find((q) => q.rate === 0.3)!;
    assert.equal(p.removed, point.removed);
    assert.equal(p.curveRemoved, point.removed);
    assert.deepEqual(p.differences, []);
    assert.ok(
      Math.abs(p.maskedAccuracy - point.accuracy) < 1e-9,
      `masked ${p.maskedAccuracy} vs the curve's ${point.accuracy}`,
    );
    assert.equal(p.prunedAccuracy, p.maskedAccuracy);
    assert.match(
      fs.readFileSync(path.join(out, 'report.html'), 'utf8'),
      new RegExp(`the curve's point at this rate: the same ${point.removed} components`),
    );
    assert.ok(p.params.pruned < p.params.original && p.flops.pruned < p.flops.original);
    assert.ok(p.latencyMs.original > 0 && p.latencyMs.pruned > 0);
    const info = pxp(['info', '--model', path.join(out, 'pruned'), '--json']);
    assert.equal(info.json.params, p.params.pruned);
    const exported = path.join(tmp.dir, 'exported');
    const e = pxp(['export', '--run', out, '--format', 'tfjs', '--out', exported, '--json']);
    assert.equal(e.code, 0, e.stderr);
    assert.equal(e.json.params, p.params.pruned);
    assert.deepEqual(listFiles(exported), ['model.json', 'weights.bin']);
  });

  it('--max-drop removes physically the largest rate before the curve falls more than that many points', () => {
    const out = path.join(tmp.dir, 'drop');
    const r = pxp([
      'prune',
      '--model',
      MODEL,
      ...data,
      '--criterion',
      'lrp:epsilon-plus-flat',
      '--max-drop',
      '2',
      '--out',
      out,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    // From the written curve, independently: walk up the rates while within 2 points of rate 0.
    const points = JSON.parse(fs.readFileSync(path.join(out, 'curve.json'), 'utf8')).points as {
      rate: number;
      accuracy: number;
    }[];
    let want = 0;
    for (const p of points) {
      if (p.accuracy < points[0].accuracy - 0.02 - 1e-9) break;
      want = p.rate;
    }
    const p = r.json.physical;
    assert.ok(want > 0 && want < 0.95, `the demo curve gives a rate strictly inside: ${want}`);
    assert.equal(p.rate, want);
    assert.deepEqual(p.chosenBy, {
      maxDropPoints: 2,
      baselineAccuracy: points[0].accuracy,
      maskedAccuracyAtRate: points.find((q) => q.rate === want)!.accuracy,
    });
    assert.equal(p.prunedAccuracy, p.maskedAccuracy);
    assert.ok(p.prunedAccuracy >= points[0].accuracy - 0.02 - 1e-9);
    assert.deepEqual(listFiles(path.join(out, 'pruned')), ['model.json', 'weights.bin']);
    assert.match(
      fs.readFileSync(path.join(out, 'report.html'), 'utf8'),
      /chosen by --max-drop 2: the largest rate before the masked accuracy falls more than 2 points/,
    );
  });

  it('--rate 0 removes nothing and claims no speed-up from two timings of the same model', () => {
    const out = path.join(tmp.dir, 'none');
    const r = pxp([
      'prune',
      '--model',
      MODEL,
      ...data,
      '--criterion',
      'weight',
      '--rates',
      '0,0.5',
      '--rate',
      '0',
      '--out',
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /physically pruned at rate 0: 0\/\d+ components/);
    assert.match(r.stdout, /nothing removed: the same model, so the difference is timing noise/);
    assert.doesNotMatch(r.stdout, /× faster/);
  });

  it('--normalize mean ranks each component against its layer: at 50 % the first block loses channels too, fewer FLOPs remain', () => {
    const filters = (run: string) => {
      const m = JSON.parse(fs.readFileSync(path.join(run, 'pruned', 'model.json'), 'utf8'));
      const topology = m.modelTopology.model_config ?? m.modelTopology;
      return Object.fromEntries(
        (topology.config.layers as { class_name: string; config: { name: string; filters?: number } }[])
          .filter((l) => l.class_name === 'Conv2D')
          .map((l) => [l.config.name, l.config.filters]),
      );
    };
    const runs: Record<string, { flops: number; filters: Record<string, number | undefined> }> = {};
    for (const normalize of ['none', 'mean']) {
      const out = path.join(tmp.dir, normalize);
      const r = pxp([
        'prune',
        '--model',
        MODEL,
        ...data,
        '--criterion',
        'lrp:epsilon-plus-flat',
        '--rates',
        '0,0.5',
        '--rate',
        '0.5',
        '--normalize',
        normalize,
        '--out',
        out,
        '--json',
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8')).settings.normalize, normalize);
      runs[normalize] = { flops: r.json.physical.flops.pruned, filters: filters(out) };
    }
    assert.deepEqual([runs.none.filters.block1_conv1, runs.none.filters.block1_conv2], [16, 16]);
    assert.ok(
      (runs.mean.filters.block1_conv1 ?? 16) < 16 && (runs.mean.filters.block1_conv2 ?? 16) < 16,
      JSON.stringify(runs.mean.filters),
    );
    assert.ok(runs.mean.flops < runs.none.flops, JSON.stringify(runs));
  });

  it('--finetune-epochs trains the pruned model and reports the accuracy regained; export refuses a run without one', () => {
    const out = path.join(tmp.dir, 'ft');
    const r = pxp([
      'prune',
      '--model',
      MODEL,
      ...data,
      '--criterion',
      'random',
      '--rates',
      '0',
      '--rate',
      '0.3',
      '--finetune-epochs',
      '2',
      '--out',
      out,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const f = r.json.physical.finetune;
    assert.equal(f.epochs, 2);
    assert.equal(f.samples, 100, 'without --data the reference set trains');
    assert.ok(Math.abs(f.regained - (f.accuracy - r.json.physical.prunedAccuracy)) < 1e-12);
    assert.ok(
      f.accuracy > r.json.physical.prunedAccuracy,
      `fine-tuning regains accuracy: ${r.json.physical.prunedAccuracy} → ${f.accuracy}`,
    );
    const noPruned = path.join(tmp.dir, 'curve-only');
    assert.equal(
      pxp(['prune', '--model', MODEL, ...data, '--criterion', 'weight', '--rates', '0', '--out', noPruned]).code,
      0,
    );
    const e = pxp(['export', '--run', noPruned, '--out', path.join(tmp.dir, 'nope')]);
    assert.equal(e.code, 2);
    assert.match(e.stderr, /has no pruned model/);
    assert.ok(!fs.existsSync(path.join(tmp.dir, 'nope')));
  });

  it('--data picks the reference samples per class from the train split (seeded) and evaluates on the test split', function () {
    if (!fs.existsSync(FASHION)) this.skip();
    const runs = ['1', '1', '2'].map((seed, i) => {
      const out = path.join(tmp.dir, `data-${i}`);
      const r = pxp([
        'prune',
        '--model',
        MODEL,
        '--data',
        FASHION,
        '--ref-per-class',
        '3',
        '--seed',
        seed,
        '--eval-limit',
        '300',
        '--criterion',
        'lrp:epsilon-plus',
        '--rates',
        '0,0.2',
        '--out',
        out,
        '--json',
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.json.reference.samples, 30);
      assert.equal(r.json.evaluation.samples, 300);
      assert.match(r.json.evaluation.source, /test/);
      return fs.readFileSync(path.join(out, 'relevance.json'), 'utf8');
    });
    assert.equal(runs[0], runs[1], 'the same seed picks the same reference samples');
    assert.notEqual(runs[0], runs[2], 'another seed picks others');
  });

  it('restricts the task to chosen classes: other outputs masked, data filtered', () => {
    const out = path.join(tmp.dir, 'run');
    const r = pxp([
      'prune',
      '--model',
      MODEL,
      ...data,
      '--criterion',
      'weight',
      '--classes',
      'Trouser,Bag',
      '--rates',
      '0,0.5',
      '--out',
      out,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json.classes, [1, 8]);
    const y = readNpy(path.join(DEMO, 'test', 'y.npy')).data as Int32Array;
    assert.equal(r.json.evaluation.samples, y.filter((v) => v === 1 || v === 8).length);
    assert.ok(r.json.curve.points[0].accuracy > 0.95, 'two easy classes');
  });

  describe('bad input: exit 2, nothing written', () => {
    const refused = (args: string[], pattern: RegExp, out = path.join(tmp.dir, 'run'), code = 2) => {
      const r = pxp(['prune', '--model', MODEL, '--out', out, ...args]);
      assert.equal(r.code, code, r.stderr);
      assert.match(r.stderr, pattern);
      assert.ok(!fs.existsSync(out) || out === DEMO, 'no run folder');
    };

    // A flag value the command line alone shows wrong is a usage error (exit 1), the one rule of issue 16.
    it('a rate outside [0, 1) (usage, exit 1)', () => {
      refused([...data, '--rates', '0,1.2'], /--rates: 1.2 is not a rate in \[0, 1\)/, undefined, 1);
      refused([...data, '--rate', '1'], /--rate 1 is not a rate in \[0, 1\)/, undefined, 1);
    });
    it('--max-drop out of range; with --rate, or without rate 0 in --rates (usage, exit 1)', () => {
      refused(
        [...data, '--max-drop', '150'],
        /--max-drop 150 is not a number of accuracy points in \[0, 100\]/,
        undefined,
        1,
      );
      refused(
        [...data, '--max-drop', '1', '--rate', '0.2'],
        /--rate and --max-drop both choose the physical rate/,
        undefined,
        1,
      );
      refused(
        [...data, '--max-drop', '1', '--rates', '0.2,0.4'],
        /--max-drop measures the drop from rate 0/,
        undefined,
        1,
      );
    });
    it('an unknown criterion or normalization (usage, exit 1)', () => {
      refused([...data, '--criterion', 'magic'], /unknown criterion 'magic'/, undefined, 1);
      refused([...data, '--normalize', 'z-score'], /--normalize z-score is not one of none, mean, max/, undefined, 1);
    });
    it('a reference set with a class that has no samples', () => {
      const ref = path.join(tmp.dir, 'ref');
      const x = readNpy(path.join(DEMO, 'reference', 'x.npy'));
      const y = readNpy(path.join(DEMO, 'reference', 'y.npy')).data as Int32Array;
      const keep = Array.from(y.keys()).filter((i) => y[i] !== 9);
      const per = 28 * 28;
      writeNpy(path.join(ref, 'x.npy'), {
        dtype: 'float32',
        shape: [keep.length, 28, 28, 1],
        data: Float32Array.from(
          keep.flatMap((i) => Array.from((x.data as Float32Array).subarray(i * per, (i + 1) * per))),
        ),
      });
      writeNpy(path.join(ref, 'y.npy'), {
        dtype: 'int32',
        shape: [keep.length],
        data: Int32Array.from(keep.map((i) => y[i])),
      });
      refused(['--reference', ref, '--eval', path.join(DEMO, 'test')], /has no sample of class 9/);
    });
    it('--out equal to an input', () => {
      const before = listFiles(DEMO);
      refused([...data], /would overwrite the input/, DEMO);
      assert.deepEqual(listFiles(DEMO), before);
    });
  });
});
