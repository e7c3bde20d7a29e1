// `npm run bench:torchvision` (or `PXP_BENCH_TORCHVISION=1 npm run bench`): issue 15's speed and memory goals on
// full-size torchvision exports, beside PyTorch in the same run. See bench/README.md.
//
//  1. resnet50, 224×224, batch 16: forward (onnxruntime on the user's file, and PXP's compiled graph) and
//     epsilon-plus-flat LRP (input and component relevance) against PyTorch's forward and zennit 0.5.1 with
//     ResNetCanonizer (PXP_ZENNIT_SRC: a zennit source tree; else input×gradient), 2 threads each, alternating.
//  2. `pxp attribute` as a user runs it (one process, 16 samples): wall time and peak RSS, alternating with a whole
//     zennit script.
//  3. `pxp prune --rate 0.5 --normalize mean` on resnet50, with the default --round-to auto and with --round-to 1: pruned/model.onnx against
//     the original on onnxruntime, alternating.
//  4. A 20-rate masked curve of resnet18 on 500 evaluation images.
// Prints a table, writes docs/torchvision-bench.md and bench/results/torchvision.json.
//
// Env: PXP_TORCHVISION_DIR (exports; default ~/.cache/pxp-studio/torchvision-bench, made by
// scripts/export-torchvision.py when missing), PXP_ZENNIT_SRC, PXP_BENCH_PYTHON (default /usr/bin/python3),
// PXP_BENCH_REPEATS (alternating rounds, default 3), PXP_BENCH_OMP_WAIT_POLICY (PyTorch's OpenMP threads: 'both' by
// default: two PyTorch processes, one with the inherited setting and one with OMP_WAIT_POLICY=PASSIVE, and each figure
// the better of the two, as bench/run.mjs does; or 'default' or 'PASSIVE' alone).
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(BENCH);
const PYTHON = process.env.PXP_BENCH_PYTHON || '/usr/bin/python3';
const REPEATS = Number(process.env.PXP_BENCH_REPEATS) || 3;
const THREADS = 2;
const BATCH = 16;
const DIR = process.env.PXP_TORCHVISION_DIR || path.join(os.homedir(), '.cache', 'pxp-studio', 'torchvision-bench');
const ZENNIT = process.env.PXP_ZENNIT_SRC;
const OMP = process.env.PXP_BENCH_OMP_WAIT_POLICY ?? 'both';
// Spinning OpenMP threads made PyTorch much slower when another process held a core, passive ones cost it wake-ups on
// an idle machine: each PyTorch figure is the better of the policies run.
const POLICIES = OMP === 'both' ? ['default', 'PASSIVE'] : [OMP];
const CLI = path.join(ROOT, 'dist', 'cli.js');
const TIMEOUT_MS = 3_600_000;

const load = () => os.loadavg()[0];
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const log = (m) => console.log(`[${new Date().toISOString().slice(11, 19)} load ${load().toFixed(1)}] ${m}`);

function python(args, opts = {}) {
  const r = spawnSync(PYTHON, args, { cwd: ROOT, encoding: 'utf8', timeout: TIMEOUT_MS, maxBuffer: 64 << 20, ...opts });
  if (r.status !== 0) throw new Error(`${PYTHON} ${args.join(' ')} failed: ${r.error?.message ?? r.stderr}`);
  return r.stdout;
}

/** The full-size exports and the data sets the runs read. */
function prepare() {
  const need = ['resnet50', 'resnet18'].filter((m) => !fs.existsSync(path.join(DIR, m, 'model.onnx')));
  if (need.length) {
    log(`exporting resnet50, resnet18 at 224×224 into ${DIR} (scripts/export-torchvision.py) ...`);
    python([
      path.join(ROOT, 'scripts', 'export-torchvision.py'),
      '--models',
      'resnet50,resnet18',
      '--size',
      '224',
      '--samples',
      String(BATCH),
      '--out',
      DIR,
    ]);
  }
  const data = path.join(DIR, 'data');
  if (!fs.existsSync(path.join(data, 'eval18', 'y.npy'))) {
    log('writing the pruning data sets ...');
    // Random weights predict one class for everything: the task is four classes with labels i mod 4, the reference
    // set the exported inputs. Speed is what is measured here, not accuracy.
    python([
      '-c',
      `
import numpy as np, os
d = ${JSON.stringify(data)}
def save(name, x):
    os.makedirs(os.path.join(d, name), exist_ok=True)
    np.save(os.path.join(d, name, 'x.npy'), x.astype(np.float32))
    np.save(os.path.join(d, name, 'y.npy'), (np.arange(len(x)) % 4).astype(np.int32))
save('ref50', np.load(os.path.join(${JSON.stringify(DIR)}, 'resnet50', 'x.npy')))
g = np.random.default_rng(0)
save('ref18', g.standard_normal((16, 3, 224, 224), dtype=np.float32))
save('eval18', g.standard_normal((500, 3, 224, 224), dtype=np.float32))
`,
    ]);
  }
  return { r50: path.join(DIR, 'resnet50'), r18: path.join(DIR, 'resnet18'), data };
}

/** A long-running process that answers one JSON line per command line (bench/torchvision-ours.ts, torch_torchvision.py). */
class Server {
  constructor(label, cmd, args, env) {
    this.label = label;
    this.proc = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.stderr = '';
    this.proc.stderr.on('data', (d) => (this.stderr = (this.stderr + d).slice(-4000)));
    this.lines = readline.createInterface({ input: this.proc.stdout })[Symbol.asyncIterator]();
  }
  async next() {
    for (;;) {
      const { value, done } = await this.lines.next();
      if (done) throw new Error(`${this.label} exited:\n${this.stderr}`);
      if (value.startsWith('{')) return JSON.parse(value);
    }
  }
  async ask(cmd) {
    this.proc.stdin.write(`${cmd}\n`);
    const r = await this.next();
    if (r.error) throw new Error(`${this.label} ${cmd}: ${r.error}`);
    return r;
  }
  quit() {
    this.proc.stdin.end('quit\n');
  }
}

/** A CLI run with its wall time, peak RSS and CPU time (bench/peak-rss.cjs). */
function cli(args) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--require', path.join(BENCH, 'peak-rss.cjs'), CLI, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: TIMEOUT_MS,
    maxBuffer: 64 << 20,
  });
  const seconds = (performance.now() - t0) / 1000;
  const usage = (r.stderr ?? '')
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{"peakRssKb"'));
  if (r.status !== 0)
    throw new Error(
      `pxp ${args[0]} failed: ${r.error?.message ?? (r.stderr ?? '').trim().split('\n').slice(-5).join('\n')}`,
    );
  return { seconds, ...(usage ? JSON.parse(usage) : {}), stdout: r.stdout };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pxp-tv-bench-'));
const result = {
  date: new Date().toISOString(),
  machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version, loadAtStart: load() },
};
const { r50, r18, data } = prepare();

// 1. Alternating rounds on two servers.
log(
  `starting our server (resnet50, batch ${BATCH}, ${THREADS} threads) and PyTorch's (${ZENNIT ? `zennit from ${ZENNIT}` : 'input×gradient'}, OMP_WAIT_POLICY ${POLICIES.join(' and ')}) ...`,
);
const ours = new Server('ours', process.execPath, [
  '--import',
  'tsx',
  path.join(BENCH, 'torchvision-ours.ts'),
  path.join(r50, 'model.onnx'),
  path.join(r50, 'x.npy'),
  String(BATCH),
  String(THREADS),
]);
const torchEnv = (policy) => {
  const env = {
    ...(ZENNIT ? { PYTHONPATH: [ZENNIT, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter) } : {}),
  };
  if (policy !== 'default') env.OMP_WAIT_POLICY = policy;
  return env;
};
const torches = POLICIES.map(
  (p) =>
    new Server(
      `PyTorch (${p})`,
      PYTHON,
      [path.join(BENCH, 'torch_torchvision.py'), 'resnet50', path.join(r50, 'x.npy'), String(THREADS), String(BATCH)],
      torchEnv(p),
    ),
);
/** The better (shorter) time of the PyTorch processes, run one after the other. */
const torchTime = async (cmd) => {
  const times = [];
  for (const t of torches) times.push((await t.ask(cmd)).seconds);
  return Math.min(...times);
};
result.ours = await ours.next();
result.torch = await torches[0].next();
for (const t of torches.slice(1)) await t.next();
if (ZENNIT && result.torch.method !== 'zennit')
  throw new Error(`PXP_ZENNIT_SRC=${ZENNIT}, but zennit does not import there`);
log(
  `ours ready: import ${result.ours.importSeconds.toFixed(1)} s, LRP compile + session ${result.ours.lrpCompileSeconds.toFixed(1)} s; PyTorch ready: ${result.torch.method}, same weights as the export: ${result.torch.sameWeightsAsExport}`,
);
log('warm-up: one run of each ...');
for (const cmd of ['run model', 'forward-pxp', 'lrp']) await ours.ask(cmd);
for (const cmd of ['forward', 'lrp']) await torchTime(cmd);
result.rounds = [];
for (let r = 0; r < REPEATS; r++) {
  const round = { loadBefore: load() };
  round.oursForward = (await ours.ask('run model')).seconds;
  round.torchForward = await torchTime('forward');
  round.oursForwardPxp = (await ours.ask('forward-pxp')).seconds;
  round.oursLrp = (await ours.ask('lrp')).seconds;
  round.torchLrp = await torchTime('lrp');
  round.loadAfter = load();
  result.rounds.push(round);
  log(
    `round ${r + 1}/${REPEATS}: forward ours ${round.oursForward.toFixed(2)} s (PXP graph ${round.oursForwardPxp.toFixed(2)}) vs PyTorch ${round.torchForward.toFixed(2)} s; LRP ours ${round.oursLrp.toFixed(2)} s vs ${result.torch.method} ${round.torchLrp.toFixed(2)} s`,
  );
}
for (const t of torches) t.quit();

// 3. Pruning: the pruned files against the original, alternating on our server.
result.prune = [];
// The default (--round-to auto: layers of a multiple of 16 channels keep a multiple of 16) and --round-to 1 (exactly
// what the ranking allows, channel counts onnxruntime's blocked convolutions do not take).
for (const roundTo of ['auto', '1']) {
  const out = path.join(tmp, `prune-r${roundTo}`);
  log(`pxp prune resnet50 --rate 0.5 --normalize mean${roundTo !== 'auto' ? ` --round-to ${roundTo}` : ''} ...`);
  const run = cli([
    'prune',
    '--model',
    path.join(r50, 'model.onnx'),
    '--reference',
    path.join(data, 'ref50'),
    '--eval',
    path.join(data, 'ref50'),
    '--classes',
    '0,1,2,3',
    '--criterion',
    'lrp:epsilon-plus-flat',
    '--normalize',
    'mean',
    '--rate',
    '0.5',
    '--rates',
    '0,0.5',
    ...(roundTo !== 'auto' ? ['--round-to', roundTo] : []),
    '--out',
    out,
    '--quiet',
  ]);
  const physical = JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8')).physical;
  await ours.ask(`open r${roundTo} ${path.join(out, 'pruned', 'model.onnx')}`);
  result.prune.push({
    roundTo,
    seconds: run.seconds,
    removed: physical.removed,
    total: physical.total,
    params: physical.params,
    flops: physical.flops,
    pruneLatency: physical.latencyMs,
    pruneSpeedup: physical.speedup,
    times: [],
  });
}
log('latency of the original and the pruned files, alternating ...');
for (const p of result.prune) await ours.ask(`run r${p.roundTo}`);
const latencyRounds = Math.max(5, 2 * REPEATS);
result.latencyRounds = [];
for (let r = 0; r < latencyRounds; r++) {
  const round = { load: load(), original: (await ours.ask('run model')).seconds };
  for (const p of result.prune) round[`r${p.roundTo}`] = (await ours.ask(`run r${p.roundTo}`)).seconds;
  result.latencyRounds.push(round);
}
ours.quit();

// 2. One process each, as a user runs them, alternating.
result.oneOff = [];
for (let r = 0; r < Math.max(1, Math.ceil(REPEATS / 2)); r++) {
  log('pxp attribute (one process, 16 samples) ...');
  const l0 = load();
  const a = cli([
    'attribute',
    '--model',
    path.join(r50, 'model.onnx'),
    '--inputs',
    path.join(r50, 'x.npy'),
    '--batch-size',
    String(BATCH),
    '--heatmaps',
    '0',
    '--out',
    path.join(tmp, 'attribute'),
    '--force',
    '--json',
    '--quiet',
  ]);
  const value = JSON.parse(a.stdout);
  log(`${result.torch.method} as one script (import, model, one batch) ...`);
  const scripts = POLICIES.map((p) => {
    const t0 = performance.now();
    python(
      [
        path.join(BENCH, 'torch_torchvision.py'),
        'resnet50',
        path.join(r50, 'x.npy'),
        String(THREADS),
        String(BATCH),
        '--no-check',
      ],
      { input: 'lrp\nquit\n', env: { ...process.env, ...torchEnv(p) } },
    );
    return (performance.now() - t0) / 1000;
  });
  result.oneOff.push({
    load: l0,
    oursSeconds: a.seconds,
    oursAttributeSeconds: value.seconds,
    executor: value.executor,
    peakRssKb: a.peakRssKb,
    cpuSeconds: a.cpuSeconds,
    torchSeconds: Math.min(...scripts),
    torchSecondsByPolicy: scripts,
  });
}

// 4. The curve.
log('pxp prune resnet18: 20-rate curve on 500 evaluation images ...');
const curveLoad = load();
const curve = cli([
  'prune',
  '--model',
  path.join(r18, 'model.onnx'),
  '--reference',
  path.join(data, 'ref18'),
  '--eval',
  path.join(data, 'eval18'),
  '--classes',
  '0,1,2,3',
  '--criterion',
  'lrp:epsilon-plus-flat',
  '--out',
  path.join(tmp, 'curve18'),
  '--quiet',
]);
const curveRun = JSON.parse(fs.readFileSync(path.join(tmp, 'curve18', 'run.json'), 'utf8'));
const curvePoints = JSON.parse(fs.readFileSync(path.join(tmp, 'curve18', 'curve.json'), 'utf8')).points;
result.curve = {
  seconds: curve.seconds,
  cpuSeconds: curve.cpuSeconds,
  peakRssKb: curve.peakRssKb,
  rates: curvePoints.length,
  scoresSeconds: curveRun.timings.scoresSeconds,
  load: curveLoad,
  loadAfter: load(),
};
result.machine.loadAtEnd = load();
fs.rmSync(tmp, { recursive: true, force: true });

// Table.
const R = result.rounds;
const perRound = (f) => median(R.map(f));
const fwdOurs = BATCH / perRound((r) => r.oursForward);
const fwdPxp = BATCH / perRound((r) => r.oursForwardPxp);
const fwdTorch = BATCH / perRound((r) => r.torchForward);
const lrpOurs = BATCH / perRound((r) => r.oursLrp);
const lrpTorch = BATCH / perRound((r) => r.torchLrp);
const loads = (xs) => `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`;
const roundLoads = loads(R.flatMap((r) => [r.loadBefore, r.loadAfter]));
const O = result.oneOff;
const theirs =
  result.torch.method === 'zennit'
    ? `zennit ${result.torch.zennit ?? '0.5.1'} (EpsilonPlusFlat, ResNetCanonizer)`
    : 'PyTorch input×gradient (no zennit: PXP_ZENNIT_SRC unset)';
const rows = [
  [
    'forward, onnxruntime on model.onnx (images/s)',
    fwdOurs,
    fwdTorch,
    perRound((r) => r.torchForward / r.oursForward),
    '≥ 1×',
    roundLoads,
  ],
  [
    "forward, PXP's compiled graph (images/s)",
    fwdPxp,
    fwdTorch,
    perRound((r) => r.torchForward / r.oursForwardPxp),
    '—',
    roundLoads,
  ],
  [
    `LRP epsilon-plus-flat, batch after batch (samples/s) vs ${theirs}`,
    lrpOurs,
    lrpTorch,
    perRound((r) => r.torchLrp / r.oursLrp),
    '≥ 1.5× (stretch 3×)',
    roundLoads,
  ],
  [
    `pxp attribute, one process for 16 samples (samples/s, start-up included) vs the same as one Python script`,
    BATCH / median(O.map((o) => o.oursSeconds)),
    BATCH / median(O.map((o) => o.torchSeconds)),
    median(O.map((o) => o.torchSeconds / o.oursSeconds)),
    '≥ 1.5×',
    loads(O.map((o) => o.load)),
  ],
  [
    'pxp attribute, batch 16: peak RSS (GB)',
    Math.max(...O.map((o) => o.peakRssKb)) / 2 ** 20,
    undefined,
    undefined,
    '≤ 3 GB',
    loads(O.map((o) => o.load)),
  ],
  ...result.prune.map((p) => [
    `pruned 50 % by LRP (--normalize mean${p.roundTo !== 'auto' ? `, --round-to ${p.roundTo}` : ''}): model.onnx latency ÷ pruned (batch ${BATCH}; FLOPs ÷${(p.flops.original / p.flops.pruned).toFixed(2)}, ${p.removed}/${p.total} removed)`,
    median(result.latencyRounds.map((r) => r[`r${p.roundTo}`])) * 1000,
    median(result.latencyRounds.map((r) => r.original)) * 1000,
    median(result.latencyRounds.map((r) => r.original / r[`r${p.roundTo}`])),
    '≥ 1.8×',
    loads(result.latencyRounds.map((r) => r.load)),
  ]),
  [
    `resnet18 masked curve, ${result.curve.rates} rates × 500 images (s; CPU ${result.curve.cpuSeconds?.toFixed(0)} s)`,
    result.curve.seconds,
    undefined,
    undefined,
    '≤ 300 s',
    loads([result.curve.load, result.curve.loadAfter]),
  ],
];
const fmt = (v, d = 2) => (v === undefined ? '—' : v.toFixed(d));
const header = ['measure', 'ours', 'PyTorch / original', 'ratio', 'goal', 'load (1 min)'];
const cells = rows.map(([m, o, t, ratio, goal, l]) => [
  m,
  fmt(o),
  fmt(t),
  ratio === undefined ? '—' : `${ratio.toFixed(2)}×`,
  goal,
  l,
]);
const widths = header.map((_, c) => Math.max(header[c].length, ...cells.map((row) => row[c].length)));
console.log('');
console.log(
  [header, widths.map((w) => '-'.repeat(w)), ...cells]
    .map((row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '))
    .join('\n'),
);
console.log('');
console.log(
  `ours: PXP on onnxruntime ${result.ours.onnxruntime}, ${THREADS} threads; PyTorch ${result.torch.torch} (torchvision ${result.torch.torchvision}), torch.set_num_threads(${result.torch.threads}), the better of OMP_WAIT_POLICY ${POLICIES.join(' / ')}; same weights on both sides: ${result.torch.sameWeightsAsExport}`,
);
console.log(
  `medians of ${REPEATS} alternating rounds after one warm-up (latency: ${latencyRounds} rounds); load average ${result.machine.loadAtStart.toFixed(1)} at start, ${result.machine.loadAtEnd.toFixed(1)} at end on ${result.machine.cores} cores`,
);

const outDir = path.join(BENCH, 'results');
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, 'torchvision.json'), JSON.stringify({ ...result, rows }, null, 2) + '\n');
const md = [
  '# torchvision benchmark (issue 15: speed and memory)',
  '',
  `Written by \`npm run bench:torchvision\` (bench/torchvision.mjs) on ${result.date.slice(0, 10)}: ${result.machine.cpu}, ${result.machine.cores} cores, Node ${result.machine.node}, onnxruntime-node ${result.ours.onnxruntime}; PyTorch ${result.torch.torch}, torchvision ${result.torch.torchvision}. Both sides run ${THREADS} threads (\`torch.set_num_threads(${THREADS})\`; each PyTorch figure the better of OMP_WAIT_POLICY ${POLICIES.join(' / ')}), one after the other in alternating rounds within one run; ratios are medians of the per-round ratios. Models: torchvision resnet50 / resnet18 at 224×224 as scripts/export-torchvision.py exports them (random weights, random inputs; same weights on both sides: ${result.torch.sameWeightsAsExport}).`,
  '',
  `| ${header.join(' | ')} |`,
  `|${header.map(() => '---').join('|')}|`,
  ...cells.map((row) => `| ${row.join(' | ')} |`),
  '',
  "- forward: one batch of 16 (onnxruntime session on the exported model.onnx; PXP's own compiled graph as `pxp predict` runs it; PyTorch `eval()` under `no_grad`).",
  `- LRP: epsilon-plus-flat with input and per-channel component relevance (sums over positions in float64), batch 16, the compiled graph reused batch after batch (compile + session once: ${result.ours.lrpCompileSeconds.toFixed(1)} s); against ${theirs}, its composite registered once, relevance read at every batch norm's output.`,
  `- one process: \`pxp attribute --model resnet50/model.onnx --inputs x.npy --batch-size 16\` from start to exit (import, compile, one batch, writing) against the Python script doing the same (import torch, build the model, one batch). Peak RSS is the CLI process's (onnxruntime included).`,
  "- pruning: `pxp prune --rate 0.5 --normalize mean` (LRP ranking on 16 reference images), the written pruned/model.onnx against the original on onnxruntime, batch 16, alternating; random weights make the ranking, and so which channels go, unlike a trained model's.",
  `- curve: \`pxp prune\` on resnet18 with the default 20 rates, 500 evaluation images (batches of 128), LRP on 16 reference images; wall time of the whole command.`,
  '',
  `Load average (1 minute) at start ${result.machine.loadAtStart.toFixed(1)}, at end ${result.machine.loadAtEnd.toFixed(1)}, on ${result.machine.cores} cores shared with other jobs: figures taken on a busy machine vary from run to run; the ratios come from alternating runs.`,
  '',
].join('\n');
fs.writeFileSync(path.join(ROOT, 'docs', 'torchvision-bench.md'), md);
console.log('written: docs/torchvision-bench.md, bench/results/torchvision.json');
