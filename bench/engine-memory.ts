/**
 * The engine process's memory under load (issue 16): one engine (dist/engine.js, as the editor forks it) runs
 *   1. an attribute job of many batches (batch size 1 over the demo's test images: one batch per sample),
 *   2. many attribute jobs one after the other (each one batch),
 *   3. a long search (default 200 trials),
 * and its resident set size (/proc/PID/status VmRSS) is sampled through each. RSS is flat when the last tenth of a
 * phase's samples stays within 10 % above the samples just after its warm-up (the first tenth); a fall is flat too.
 *
 *   npm run build && npx tsx bench/engine-memory.ts [--batches 1000] [--jobs 100] [--trials 200] [--out FILE.json]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EngineClient } from '../src/engine/client';
import { readNpy, writeNpy } from '../src/core/io/npy';

const ROOT = path.resolve(__dirname, '..');
const DEMO = path.join(ROOT, 'examples', 'fashion-mnist');
const MODEL = path.join(DEMO, 'model', 'model.json');
const TEST = path.join(DEMO, 'test');

const { values } = parseArgs({
  options: {
    batches: { type: 'string' },
    jobs: { type: 'string' },
    trials: { type: 'string' },
    out: { type: 'string' },
  },
});
const BATCHES = Number(values.batches ?? 1000);
const JOBS = Number(values.jobs ?? 100);
const TRIALS = Number(values.trials ?? 200);

const rssMiB = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

interface Phase {
  phase: string;
  seconds: number;
  samples: number;
  /** Mean RSS (MiB) of the first tenth of the samples after the first (warm-up) tenth, and of the last tenth. */
  earlyMiB: number;
  lateMiB: number;
  maxMiB: number;
  growth: number;
  flat: boolean;
}

function summarise(phase: string, seconds: number, rss: number[]): Phase {
  const tenth = Math.max(1, Math.floor(rss.length / 10));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const early = mean(rss.slice(tenth, 2 * tenth));
  const late = mean(rss.slice(-tenth));
  const growth = (late - early) / early;
  return {
    phase,
    seconds,
    samples: rss.length,
    earlyMiB: +early.toFixed(1),
    lateMiB: +late.toFixed(1),
    maxMiB: +Math.max(...rss).toFixed(1),
    growth: +growth.toFixed(4),
    flat: growth <= 0.1,
  };
}

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pxp-memory-'));
  const client = new EngineClient({ enginePath: path.join(ROOT, 'dist', 'engine.js') });
  const phases: Phase[] = [];
  try {
    await client.request('backend', {});
    const pid = client.pid!;
    const t = () => performance.now() / 1000;

    // 1. One job, BATCHES batches of one sample (the demo's test set has 1 000 images).
    let rss: number[] = [];
    let t0 = t();
    await client.request(
      'run',
      {
        command: 'attribute',
        flags: {
          model: MODEL,
          inputs: path.join(TEST, 'x.npy'),
          'batch-size': String(Math.max(1, Math.floor(1000 / BATCHES))),
          heatmaps: '0',
          out: path.join(tmp, 'batches'),
        },
      },
      { onProgress: () => rss.push(rssMiB(pid)) },
    );
    phases.push(summarise(`attribute: 1 job of ${BATCHES} batches`, t() - t0, rss));

    // 2. JOBS attribute jobs in a row, one batch of 32 each; RSS after each.
    const few = path.join(tmp, 'x32.npy');
    const x = readNpy(path.join(TEST, 'x.npy'));
    writeNpy(few, {
      dtype: 'float32',
      shape: [32, ...x.shape.slice(1)],
      data: (x.data as Float32Array).slice(0, 32 * 784),
    });
    rss = [];
    t0 = t();
    for (let j = 0; j < JOBS; j++) {
      const out = path.join(tmp, `job-${j}`);
      await client.request('run', {
        command: 'attribute',
        flags: { model: MODEL, inputs: few, 'batch-size': '32', heatmaps: '0', out },
      });
      fs.rmSync(out, { recursive: true, force: true });
      rss.push(rssMiB(pid));
    }
    phases.push(summarise(`attribute: ${JOBS} jobs of 1 batch`, t() - t0, rss));

    // 3. A long search, sampled every 2 s.
    rss = [];
    t0 = t();
    const timer = setInterval(() => rss.push(rssMiB(pid)), 2000);
    try {
      await client.request('run', {
        command: 'search',
        flags: {
          model: MODEL,
          reference: path.join(DEMO, 'reference'),
          eval: TEST,
          'eval-limit': '300',
          rates: '0,0.1,0.2,0.3,0.4,0.5',
          trials: String(TRIALS),
          baselines: 'none',
          out: path.join(tmp, 'search'),
        },
      });
    } finally {
      clearInterval(timer);
    }
    phases.push(summarise(`search: ${TRIALS} trials`, t() - t0, rss));
  } finally {
    client.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  for (const p of phases) {
    console.log(
      `${p.phase.padEnd(34)} ${p.seconds.toFixed(0).padStart(5)} s  RSS ${p.earlyMiB} → ${p.lateMiB} MiB (${(100 * p.growth).toFixed(1)} %, max ${p.maxMiB}, ${p.samples} samples)  ${p.flat ? 'flat' : 'GROWS'}`,
    );
  }
  const result = { date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, phases };
  if (values.out) fs.writeFileSync(values.out, JSON.stringify(result, null, 2));
  if (phases.some((p) => !p.flat)) process.exitCode = 1;
}

void main();
