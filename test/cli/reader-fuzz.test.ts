import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { initBackend } from '../../src/core/backend/select';
import { PxpError, badInput } from '../../src/core/errors';
import { parseIdx } from '../../src/core/io/idx';
import { encodeNpy, parseNpy, writeNpy } from '../../src/core/io/npy';
import { openAnyModel } from '../../src/core/io/open-model';
import { loadComposite } from '../../src/core/lrp/composites';
import {
  readComparison,
  readComponents,
  readCurve,
  readJsonObject,
  readRelevance,
  readTrials,
  readTrialsToResume,
} from '../../src/core/run-folder/read';
import { TASK_COMMANDS, parseTaskConfig } from '../../src/extension/task-config';
import { readDiffView } from '../../src/views/diff-view';
import { readRelevanceView } from '../../src/views/relevance-view';
import { readSearchSnapshot } from '../../src/views/search-view';
import { type FuzzTally, describeTally, fuzz } from '../helpers/fuzz';
import { pxp } from '../helpers/pxp';
import { REPO, tempDir } from '../helpers/tmp';

const DEMO = path.join(REPO, 'examples', 'fashion-mnist');
const MODEL_DIR = path.join(DEMO, 'model');

/** Cases per reader: a few thousand where a case is cheap; model.json loads and summarises a tfjs model each time. */
const CASES = Number(process.env.PXP_FUZZ_CASES ?? 2000);
const MODEL_CASES = Number(process.env.PXP_FUZZ_MODEL_CASES ?? 1000);

const tallies: FuzzTally[] = [];

function settle(t: FuzzTally): void {
  tallies.push(t);
  console.log(`      ${describeTally(t)}`);
  const shown = t.failures
    .slice(0, 3)
    .map((f) => `seed ${f.seed} (${f.what}): ${f.error.split('\n').slice(0, 3).join(' | ')}`);
  assert.equal(
    t.failures.length,
    0,
    `${t.failures.length} of ${t.cases} mutations of ${t.target} neither gave a result nor a bad-input error:\n${shown.join('\n')}`,
  );
  assert.equal(t.results + t.refused, t.cases);
}

/**
 * Seeded fuzzing of the readers (issue 16): thousands of mutations of valid files, each ending in a result or a
 * clean bad-input error (the CLI's exit 2), never another error (exit 3), a hang, or a result larger than the file
 * justifies. The seeds are fixed: a failure names its seed, and `mutateBytes`/`mutateJson` with it reproduce it.
 */
describe('reader fuzzing: every mutation is a result or a clean exit-2 error (issue 16)', function () {
  this.timeout(900_000);
  let tmp: ReturnType<typeof tempDir>;
  before(() => (tmp = tempDir()));
  after(() => {
    tmp.cleanup();
    console.log(
      `      total: ${tallies.reduce((a, t) => a + t.cases, 0)} mutations, ${tallies.reduce((a, t) => a + t.failures.length, 0)} failures`,
    );
  });

  it('.npy (float32 samples, uint8 samples, int64 labels)', async () => {
    const floats = encodeNpy({
      dtype: 'float32',
      shape: [6, 5, 5, 1],
      data: Float32Array.from({ length: 150 }, (_, i) => (i % 17) / 17),
    });
    const bytes = encodeNpy({ dtype: 'uint8', shape: [4, 7, 7], data: Uint8Array.from({ length: 196 }, (_, i) => i) });
    // int64 labels as numpy writes them (encodeNpy writes int32): the header says <i8, two words per value.
    const header = "{'descr': '<i8', 'fortran_order': False, 'shape': (9,), }";
    const pad = 64 - ((10 + header.length + 1) % 64);
    const labels = Buffer.concat([
      Buffer.from([
        0x93,
        ...Buffer.from('NUMPY'),
        1,
        0,
        (header.length + pad + 1) & 0xff,
        (header.length + pad + 1) >> 8,
      ]),
      Buffer.from(header + ' '.repeat(pad) + '\n'),
      Buffer.from(new BigInt64Array(Array.from({ length: 9 }, (_, i) => BigInt(i))).buffer),
    ]);
    assert.deepEqual(Array.from(parseNpy(labels, 'y.npy').data), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
    // int8 data read as int32 hold 4× their bytes; nothing else grows.
    for (const [name, valid] of [
      ['x.npy float32', floats],
      ['x.npy uint8', bytes],
      ['y.npy int64', labels],
    ] as const) {
      settle(await fuzz(name, { seed: name.length, cases: CASES, valid, maxRatio: 4, read: (b) => parseNpy(b, name) }));
    }
  });

  it('IDX (images, labels, gzipped)', async () => {
    const idx = (magic: number, dims: number[], data: Uint8Array) => {
      const head = Buffer.alloc(4 + 4 * dims.length);
      head.writeUInt32BE(magic, 0);
      dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
      return new Uint8Array(Buffer.concat([head, data]));
    };
    const images = idx(
      0x803,
      [5, 6, 6],
      Uint8Array.from({ length: 180 }, (_, i) => (i * 7) % 256),
    );
    const labels = idx(0x801, [5], Uint8Array.from([0, 1, 2, 3, 4]));
    const gz = new Uint8Array(zlib.gzipSync(images));
    for (const [name, valid] of [
      ['images-idx3-ubyte', images],
      ['labels-idx1-ubyte', labels],
      ['images-idx3-ubyte.gz', gz],
    ] as const) {
      // A gzipped file legitimately inflates; bounded by 64 KiB of held bytes below which no ratio is checked.
      settle(
        await fuzz(name, {
          seed: 100 + name.length,
          cases: CASES,
          valid,
          maxRatio: name.endsWith('.gz') ? 64 : 1,
          read: (b) => parseIdx(b, name),
        }),
      );
    }
  });

  it('model.json (topology, manifest, metadata) and weights.bin of the demo model, opened as every command opens them', async () => {
    await initBackend('cpu');
    const dir = path.join(tmp.dir, 'model');
    fs.mkdirSync(dir);
    const weights = fs.readFileSync(path.join(MODEL_DIR, 'weights.bin'));
    const json = fs.readFileSync(path.join(MODEL_DIR, 'model.json'), 'utf8');
    const open = async () => {
      const m = await openAnyModel(path.join(dir, 'model.json'));
      try {
        // What `pxp info` and every command read next: the summary and the engine's graph.
        m.graph();
        return { params: m.summary.params, layers: m.summary.layers.length };
      } finally {
        m.dispose();
      }
    };
    fs.writeFileSync(path.join(dir, 'weights.bin'), weights);
    settle(
      await fuzz('model.json', {
        seed: 200,
        cases: MODEL_CASES,
        valid: json,
        json: true,
        budgetMs: 5000,
        read: (b) => (fs.writeFileSync(path.join(dir, 'model.json'), b), open()),
      }),
    );
    fs.writeFileSync(path.join(dir, 'model.json'), json);
    settle(
      await fuzz('weights.bin', {
        seed: 201,
        cases: Math.round(MODEL_CASES / 5),
        valid: new Uint8Array(weights),
        budgetMs: 5000,
        read: (b) => (fs.writeFileSync(path.join(dir, 'weights.bin'), b), open()),
      }),
    );
  });

  it("composite JSON files (against the demo model's layer names)", async () => {
    const composite = JSON.stringify({
      default: { conv: { rule: 'z-plus' }, dense: { rule: 'epsilon', epsilon: 1e-6 } },
      first: { rule: 'flat' },
      layers: {
        block2_conv1: { rule: 'alpha-beta', alpha: 2, beta: 1 },
        fc1: { rule: 'gamma', gamma: 0.25 },
        block1_conv2: { rule: 'w-square' },
      },
      canonizers: ['merge-batch-norm'],
      attention: { softmax: 'epsilon' },
      init: 'logit',
      abs_sort: false,
      least_relevant_first: true,
    });
    const names = ['block1_conv1', 'block1_conv2', 'block2_conv1', 'block2_conv2', 'fc1', 'fc2'];
    const file = path.join(tmp.dir, 'composite.json');
    loadComposite((fs.writeFileSync(file, composite), file), names);
    settle(
      await fuzz('composite.json', {
        seed: 300,
        cases: CASES,
        valid: composite,
        json: true,
        read: (b) => (fs.writeFileSync(file, b), loadComposite(file, names)),
      }),
    );
  });

  it('pxp.config.json (every task command it serves): flags, or errors with a line and column', async () => {
    const config = fs.readFileSync(path.join(DEMO, 'pxp.config.json'), 'utf8');
    const file = path.join(DEMO, 'pxp.config.json');
    // The editor shows a config's errors in the Problems view: that is this reader's clean refusal.
    // The commands the demo's config serves (it has no train section); a mutation is refused when one of them refuses it.
    const commands = TASK_COMMANDS.filter((c) => parseTaskConfig(config, file, c).ok);
    assert.ok(commands.length >= 2, `the demo config serves ${commands.join(', ')}`);
    const read = (b: Uint8Array) =>
      commands.map((command) => {
        const parsed = parseTaskConfig(new TextDecoder().decode(b), file, command);
        if (parsed.ok) return parsed.flags;
        if (
          !parsed.errors.every(
            (e) => Number.isInteger(e.line) && e.line >= 1 && Number.isInteger(e.column) && e.column >= 1 && e.message,
          )
        )
          throw new Error(`an error without a place: ${JSON.stringify(parsed.errors)}`);
        throw badInput(parsed.errors[0].message, 'pxp.config.json');
      });
    settle(await fuzz('pxp.config.json', { seed: 400, cases: CASES, valid: config, json: true, read }));
  });

  describe('run folders written by pxp prune, attribute and search', () => {
    const runs: Record<string, string> = {};
    before(() => {
      const data = [
        '--reference',
        path.join(DEMO, 'reference'),
        '--eval',
        path.join(DEMO, 'test'),
        '--eval-limit',
        '200',
      ];
      const model = path.join(MODEL_DIR, 'model.json');
      // A few samples keep components.json small, so thousands of parses stay quick.
      const few = path.join(tmp.dir, 'few.npy');
      const x = parseNpy(fs.readFileSync(path.join(DEMO, 'reference', 'x.npy')), 'x.npy');
      writeNpy(few, {
        dtype: 'float32',
        shape: [4, ...x.shape.slice(1)],
        data: (x.data as Float32Array).slice(0, 4 * 784),
      });
      const made = [
        [
          'prune',
          [
            'prune',
            '--model',
            model,
            ...data,
            '--criterion',
            'weight',
            '--rates',
            '0,0.2,0.5',
            '--rate',
            '0.2',
            '--out',
          ],
        ],
        ['attribute', ['attribute', '--model', model, '--inputs', few, '--heatmaps', '2', '--out']],
        [
          'search',
          [
            'search',
            '--model',
            model,
            ...data,
            '--rates',
            '0,0.2,0.5',
            '--trials',
            '3',
            '--sampler',
            'random',
            '--baselines',
            'weight',
            '--out',
          ],
        ],
      ] as const;
      for (const [name, args] of made) {
        runs[name] = path.join(tmp.dir, `valid-${name}`);
        const r = pxp([...args, runs[name]]);
        assert.equal(r.code, 0, r.stderr);
      }
    });

    /** The readers a folder of each kind meets (CLI: compare, export, resume; the editor's panels and sidebar). */
    const READERS: Record<string, ((dir: string) => unknown)[]> = {
      prune: [
        (d) => readJsonObject(d, 'run.json', 'h'),
        (d) => readCurve(d),
        (d) => readRelevance(d, 'h'),
        readDiffView,
        readRelevanceView,
      ],
      attribute: [(d) => readComponents(d, 'h'), readRelevanceView],
      search: [
        (d) => readJsonObject(d, 'run.json', 'h'),
        (d) => readCurve(d),
        (d) => readComparison(d, 'h'),
        readTrials,
        readTrialsToResume,
        readSearchSnapshot,
      ],
    };
    const readAll = (kind: string, dir: string) => {
      const out: unknown[] = [];
      let refusal: PxpError | undefined;
      // Every reader runs (any of them may crash); the folder counts as refused when one of them refused it.
      for (const read of READERS[kind]) {
        try {
          out.push(read(dir));
        } catch (e) {
          if (!(e instanceof PxpError && e.code === 'bad-input')) throw e;
          refusal ??= e;
        }
      }
      if (refusal) throw refusal;
      return out;
    };

    for (const [run, files] of [
      ['prune', ['run.json', 'curve.json', 'relevance.json']],
      ['attribute', ['components.json']],
      ['search', ['run.json', 'trials.jsonl', 'comparison.json', 'curve.json']],
    ] as const) {
      it(`${run}: ${files.join(', ')}`, async () => {
        const dir = path.join(tmp.dir, `fuzz-${run}`);
        fs.cpSync(runs[run], dir, { recursive: true });
        readAll(run, dir);
        for (const [k, name] of files.entries()) {
          const original = fs.readFileSync(path.join(dir, name), 'utf8');
          const per = Math.round(CASES / files.length);
          // The readers return what the whole folder holds: a result is bounded by the folder's bytes, not this file's.
          const folderBytes = (fs.readdirSync(dir, { recursive: true }) as string[]).reduce(
            (a, f) => a + (fs.statSync(path.join(dir, f)).isFile() ? fs.statSync(path.join(dir, f)).size : 0),
            0,
          );
          const maxRatio = (8 * folderBytes) / original.length;
          settle(
            await fuzz(`${run}/${name}`, {
              seed: 500 + 10 * k + run.length,
              cases: per,
              valid: original,
              json: !name.endsWith('.jsonl'),
              maxRatio,
              read: (b) => (fs.writeFileSync(path.join(dir, name), b), readAll(run, dir)),
            }),
          );
          fs.writeFileSync(path.join(dir, name), original);
        }
      });
    }
  });
});
