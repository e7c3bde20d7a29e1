// `npm run bench`: our VGG-style model (bench/ours.ts, default backend) against the same model in PyTorch
// (bench/torch_vgg.py, 2 threads), measured one after the other in this run. Prints a table and writes
// bench/results/latest.json. See bench/README.md.
//
// Env: PXP_BENCH_PYTHON (default /usr/bin/python3), PXP_BENCH_REPEATS (default 15), PXP_BENCH_BACKEND (default auto),
// PXP_BENCH_TORCHVISION=1 (also run bench/torchvision.mjs: full-size torchvision models, issue 15).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(BENCH);
const PYTHON = process.env.PXP_BENCH_PYTHON || '/usr/bin/python3';
const REPEATS = String(Number(process.env.PXP_BENCH_REPEATS) || 15);
const WARMUP = '3';
const THREADS = '2';
const BACKEND = process.env.PXP_BENCH_BACKEND || 'auto';
const TIMEOUT_MS = 240_000;

/** Runs a command to completion; returns the last JSON line of its stdout, or why there is none. */
function runJson(label, cmd, args, env = {}) {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: TIMEOUT_MS,
    maxBuffer: 16 << 20,
    shell: process.platform === 'win32',
  });
  const seconds = (Date.now() - t0) / 1000;
  const line = (r.stdout ?? '')
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (r.error || r.status !== 0 || !line) {
    const why = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
    const tail = (r.stderr ?? '').trim().split('\n').slice(-5).join('\n');
    return { error: `${label}: ${why}${line ? '' : ', no JSON line'}${tail ? `\n${tail}` : ''}`, seconds };
  }
  try {
    return { data: JSON.parse(line), seconds };
  } catch (e) {
    return { error: `${label}: bad JSON (${e.message})`, seconds };
  }
}

const cpus = os.cpus();
const machine = {
  cpu: cpus[0]?.model ?? 'unknown',
  cores: cpus.length,
  os: `${os.type()} ${os.release()} ${os.arch()}`,
  node: process.version,
  loadavgAtStart: os.loadavg()[0],
};
console.log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.os}, node ${machine.node}`);
console.log(`load average (1 min) at start: ${machine.loadavgAtStart.toFixed(2)}`);
if (machine.loadavgAtStart > machine.cores * 0.5) {
  console.log("warning: the machine looks busy; timings (and PyTorch's above all) need an idle machine");
}

// 1. Ours.
console.log(`running ours (npx tsx bench/ours.ts, backend ${BACKEND}) ...`);
const ours = runJson('ours', 'npx', ['tsx', path.join('bench', 'ours.ts'), REPEATS, WARMUP, BACKEND]);
if (ours.error) {
  console.error(ours.error);
  process.exit(1);
}
const o = ours.data;

// 2. PyTorch, if this Python has it. Run twice, one after the other: with the inherited OpenMP settings and with
// OMP_WAIT_POLICY=PASSIVE. Spinning OpenMP threads make PyTorch up to ~15x slower when another process holds a core,
// so the baseline per measure is the faster of the two: the stronger PyTorch, never an artefact in our favour.
let torch = null;
let torchSkipped = null;
const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60_000 });
if (probe.error || probe.status !== 0) {
  torchSkipped = `${PYTHON} cannot import torch (${probe.error ? probe.error.message : (probe.stderr || '').trim().split('\n').pop()})`;
} else {
  const runs = [];
  for (const [label, env] of [
    ['default', {}],
    ['OMP_WAIT_POLICY=PASSIVE', { OMP_WAIT_POLICY: 'PASSIVE' }],
  ]) {
    console.log(`running PyTorch (${PYTHON} bench/torch_vgg.py ${THREADS} threads, ${label}) ...`);
    const r = runJson(
      `PyTorch (${label})`,
      PYTHON,
      [path.join('bench', 'torch_vgg.py'), THREADS, REPEATS, WARMUP],
      env,
    );
    if (r.error) console.error(r.error);
    else runs.push({ label, seconds: r.seconds, ...r.data });
  }
  if (runs.length === 0) torchSkipped = 'the PyTorch script failed (see above)';
  else {
    const pick = (key, better) => runs.reduce((a, b) => (better(b[key], a[key]) ? b : a));
    const lower = (a, b) => a < b;
    const higher = (a, b) => a > b;
    const train = pick('train_step_ms', lower);
    const infer = pick('infer_ms', lower);
    const ixg = pick('inputxgrad_samples_per_s', higher);
    torch = {
      version: runs[0].torch,
      threads: runs[0].threads,
      trainableParams: runs[0].trainableParams,
      train_step_ms: { value: train.train_step_ms, run: train.label },
      infer_ms: { value: infer.infer_ms, run: infer.label },
      inputxgrad_samples_per_s: { value: ixg.inputxgrad_samples_per_s, batch: ixg.inputxgrad_batch, run: ixg.label },
      runs,
    };
  }
}

// 3. Pruning (issue #5's goal): the embedded demo model (VGG-style, trained) pruned physically at 50 % of its
// components by LRP (epsilon-plus-flat); `pxp prune` measures the original's and the pruned model's batch latency on
// one engine in alternating runs. Once on the default executor (onnxruntime when installed) and once on tfjs.
// With --normalize mean too: each layer's scores divided by their mean before the ranking (an option beside the
// method's raw ranking), which spreads the removals over the layers.
const pruneRuns = [];
for (const [normalize, executor] of [
  ['none', 'auto'],
  ['none', 'tfjs'],
  ['mean', 'auto'],
  ['mean', 'tfjs'],
]) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'pxp-bench-prune-'));
  console.log(
    `running pxp prune --rate 0.5 (lrp:epsilon-plus-flat, --normalize ${normalize}, executor ${executor}) ...`,
  );
  const r = spawnSync(
    process.execPath,
    [
      path.join('dist', 'cli.js'),
      'prune',
      '--model',
      'examples/fashion-mnist/model',
      '--reference',
      'examples/fashion-mnist/reference',
      '--eval',
      'examples/fashion-mnist/test',
      '--criterion',
      'lrp:epsilon-plus-flat',
      '--rate',
      '0.5',
      '--rates',
      '0,0.5',
      '--normalize',
      normalize,
      '--executor',
      executor,
      '--out',
      path.join(out, 'run'),
    ],
    { cwd: ROOT, encoding: 'utf8', timeout: TIMEOUT_MS },
  );
  try {
    const physical = JSON.parse(fs.readFileSync(path.join(out, 'run', 'run.json'), 'utf8')).physical;
    pruneRuns.push({
      normalize,
      executor,
      accuracy: physical.prunedAccuracy,
      engine: physical.latencyMs.engine,
      originalMs: physical.latencyMs.original,
      prunedMs: physical.latencyMs.pruned,
      batch: physical.latencyMs.batch,
      speedup: physical.speedup,
      flopsRatio: physical.flops.original / physical.flops.pruned,
      params: physical.params,
      removed: physical.removed,
      total: physical.total,
    });
  } catch (e) {
    console.error(
      `pxp prune (--normalize ${normalize}, ${executor}) failed: ${r.error?.message ?? (r.stderr || '').trim().split('\n').slice(-3).join('\n')}`,
    );
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

// 3b. Shared studies (issue 19): pxp search with its trials in PostgreSQL, 1 and 3 local worker processes
// (bench/study-storage.ts; skipped without PostgreSQL). The database's time per trial and trials per minute.
console.log('running pxp search --storage postgresql:// with 1 and 3 workers (npx tsx bench/study-storage.ts) ...');
const studyBench = runJson('study storage', 'npx', ['tsx', path.join('bench', 'study-storage.ts')]);
if (studyBench.error) console.error(studyBench.error);
const studyRuns = studyBench.data?.runs ?? [];

// 4. Table.
const fmt = (v, d = 1) => (v === undefined || v === null ? '—' : v.toFixed(d));
const rows = [
  {
    measure: 'train step, batch 64 (ms)',
    ours: o.train_step_ms,
    torch: torch?.train_step_ms.value,
    ratio: torch ? o.train_step_ms / torch.train_step_ms.value : undefined,
    ratioMeans: 'ours/PyTorch time',
    goal: '≤ 3×',
    met: torch ? o.train_step_ms / torch.train_step_ms.value <= 3 : undefined,
  },
  {
    measure: 'inference, batch 64 (ms)',
    ours: o.infer_ms,
    torch: torch?.infer_ms.value,
    ratio: torch ? o.infer_ms / torch.infer_ms.value : undefined,
    ratioMeans: 'ours/PyTorch time',
    goal: '—',
    met: undefined,
  },
  {
    measure: `LRP (${o.lrp_executor}) vs input×grad (samples/s, batch ${o.lrp_batch}${torch ? ` vs ${torch.inputxgrad_samples_per_s.batch}` : ''})`,
    ours: o.lrp_samples_per_s,
    torch: torch?.inputxgrad_samples_per_s.value,
    ratio: torch ? o.lrp_samples_per_s / torch.inputxgrad_samples_per_s.value : undefined,
    ratioMeans: 'ours/PyTorch throughput',
    goal: '≥ 1.5×',
    met: torch ? o.lrp_samples_per_s / torch.inputxgrad_samples_per_s.value >= 1.5 : undefined,
  },
  ...pruneRuns.map((p) => ({
    measure: `pruned 50 % by LRP${p.normalize === 'none' ? '' : ` (--normalize ${p.normalize})`}, speed-up on ${p.engine} (batch ${p.batch}; ${p.originalMs.toFixed(1)} → ${p.prunedMs.toFixed(1)} ms; FLOPs ÷${p.flopsRatio.toFixed(2)}; accuracy ${(100 * p.accuracy).toFixed(1)} %)`,
    ours: p.speedup,
    torch: undefined,
    ratio: undefined,
    ratioMeans: 'original/pruned latency',
    goal: '≥ 1.8×',
    met: p.speedup >= 1.8,
  })),
  ...studyRuns.map((r) => ({
    measure: `shared study, ${r.workers} worker${r.workers > 1 ? 's' : ''}: database ms per trial (median; claim + record + heartbeats; ${r.trialsPerMinute.toFixed(1)} trials/min, trials of ${r.meanTrialSeconds.toFixed(1)} s)`,
    ours: r.overheadMs.median,
    torch: undefined,
    ratio: undefined,
    ratioMeans: 'ms',
    goal: r.workers === 3 ? '≤ 20 ms' : '—',
    met: r.workers === 3 ? r.overheadMs.median <= 20 : undefined,
  })),
];
const table = [
  ['measure', 'ours', 'PyTorch', 'ratio', 'goal', 'met?'],
  ...rows.map((r) => [
    r.measure,
    r.ratioMeans === 'original/pruned latency' ? `${r.ours.toFixed(2)}×` : fmt(r.ours),
    fmt(r.torch),
    r.ratio === undefined ? '—' : `${r.ratio.toFixed(2)}×`,
    r.goal,
    r.met === undefined ? '—' : r.met ? 'yes' : 'no',
  ]),
];
const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
const line = (row) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
const loadavgAtEnd = os.loadavg()[0];

console.log('');
console.log(
  `ours:    PXP engine, tfjs ${o.tfjs}, backend ${o.backend}${o.wasm ? ` (simd ${o.wasm.WASM_HAS_SIMD_SUPPORT}, threads ${o.wasm.WASM_HAS_MULTITHREAD_SUPPORT})` : ''}, ${o.trainableParams} trainable params`,
);
console.log(
  torch
    ? `PyTorch: torch ${torch.version}, ${torch.threads} threads, ${torch.trainableParams} trainable params (best of default / OMP_WAIT_POLICY=PASSIVE per measure)`
    : `PyTorch: skipped — ${torchSkipped}`,
);
console.log(
  `machine: ${machine.cpu}, ${machine.cores} cores; load average ${machine.loadavgAtStart.toFixed(2)} at start, ${loadavgAtEnd.toFixed(2)} at end`,
);
console.log('');
console.log(line(table[0]));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const row of table.slice(1)) console.log(line(row));
console.log('');
if (o.infer_ms_by_executor)
  console.log(
    `inference by executor (ms): ${Object.entries(o.infer_ms_by_executor)
      .map(([k, v]) => `${k} ${v.toFixed(1)}`)
      .join(', ')}`,
  );
if (o.train_step_ms_by_executor)
  console.log(
    `train step by executor (ms): ${Object.entries(o.train_step_ms_by_executor)
      .map(([k, v]) => `${k} ${v.toFixed(1)}`)
      .join(', ')}`,
  );
console.log(
  `LRP by batch (samples/s): ours ${Object.entries(o.lrp_samples_per_s_by_batch)
    .map(([n, v]) => `${n}: ${v.toFixed(1)}`)
    .join(', ')}` +
    (torch
      ? `; PyTorch input×grad ${torch.runs
          .map(
            (r) =>
              `[${r.label}] ${Object.entries(r.inputxgrad_samples_per_s_by_batch)
                .map(([n, v]) => `${n}: ${v.toFixed(1)}`)
                .join(', ')}`,
          )
          .join(' ')}`
      : ''),
);
console.log(
  'ratios: times are ours/PyTorch (lower is better), throughput ours/PyTorch (higher is better); medians of ' +
    `${REPEATS} repeats after ${WARMUP} warm-ups (LRP: ${o.lrp_repeats} after ${o.lrp_warmup}).`,
);
if (machine.loadavgAtStart > machine.cores * 0.5 || loadavgAtEnd > machine.cores * 0.5)
  console.log('note: measured on a busy machine; rerun on an idle one before trusting the ratios.');

const outDir = path.join(BENCH, 'results');
fs.mkdirSync(outDir, { recursive: true });
const result = {
  date: new Date().toISOString(),
  machine: { ...machine, loadavgAtEnd },
  ours: { ...o, seconds: ours.seconds },
  torch,
  torchSkipped,
  pruning: pruneRuns,
  studyStorage: studyBench.data ?? { error: studyBench.error },
  rows,
};
fs.writeFileSync(path.join(outDir, 'latest.json'), JSON.stringify(result, null, 2) + '\n');
console.log(`written: ${path.relative(ROOT, path.join(outDir, 'latest.json'))}`);

// 5. Optional: issue 15's torchvision figures (resnet50/resnet18 at 224×224, ~20–40 min on 2 cores).
if (process.env.PXP_BENCH_TORCHVISION === '1') {
  console.log('');
  console.log('running bench/torchvision.mjs (PXP_BENCH_TORCHVISION=1) ...');
  const tv = spawnSync(process.execPath, [path.join(BENCH, 'torchvision.mjs')], { cwd: ROOT, stdio: 'inherit' });
  if (tv.status !== 0) process.exitCode = 1;
}
