#!/usr/bin/env node
// Full-size torchvision models through PXP, one by one: export (Debian's torch; random weights, cached), load time,
// outputs against PyTorch's on both executors, LRP against zennit where zennit has a canonizer (ResNets, VGGs; only
// when PXP_ZENNIT_SRC points at a zennit 0.5.1 src/ tree), and a physical removal at rate 0.3 (parameters, FLOPs,
// onnxruntime latency of pruned/model.onnx against the original). Writes docs/torchvision-coverage.md.
//
//   node bench/torchvision-coverage.mjs [resnet18,resnet50,…]
//
// Slow: the VGGs are 0.5 GB each and vit_b_16 runs 17.5 GFLOPs per image; expect an hour on 2 cores.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const CACHE = path.join(REPO, 'bench', 'cache', 'torchvision');
const PYTHON = process.env.PXP_BENCH_PYTHON || '/usr/bin/python3';
const CLI = path.join(REPO, 'dist', 'cli.js');
const ALL = [
  'resnet18',
  'resnet34',
  'resnet50',
  'resnet101',
  'vgg11',
  'vgg11_bn',
  'vgg16',
  'vgg16_bn',
  'mobilenet_v2',
  'vit_b_16',
];
const models = (process.argv[2] ?? ALL.join(',')).split(',');

function readNpy(file) {
  const buf = fs.readFileSync(file);
  const headerLen = buf.readUInt16LE(8);
  const header = buf.toString('latin1', 10, 10 + headerLen);
  const shape = /'shape':\s*\(([^)]*)\)/
    .exec(header)[1]
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const body = buf.subarray(10 + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  const data =
    descr === '<i4'
      ? new Int32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength))
      : new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
  return { shape, data };
}

function writeNpy(file, data, shape, descr) {
  const header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  const h = header + ' '.repeat(pad) + '\n';
  const out = Buffer.alloc(10 + h.length + data.byteLength);
  out.write('\x93NUMPY', 0, 'latin1');
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(h.length, 8);
  out.write(h, 10, 'latin1');
  Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(out, 10 + h.length);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, out);
}

const relMax = (a, b) => {
  let d = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / Math.max(m, 1e-12);
};
const relL2 = (a, b) => {
  let d = 0;
  let n = 0;
  for (let i = 0; i < b.length; i++) {
    d += (a[i] - b[i]) ** 2;
    n += b[i] ** 2;
  }
  return Math.sqrt(d) / Math.max(Math.sqrt(n), 1e-12);
};

function pxp(args) {
  const t0 = Date.now();
  const out = execFileSync(process.execPath, [CLI, ...args, '--json', '--quiet'], {
    cwd: REPO,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { json: JSON.parse(out), seconds: (Date.now() - t0) / 1000 };
}

const rows = [];
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pxp-coverage-'));

const f = (v, d = 2) =>
  v === undefined
    ? '–'
    : typeof v === 'number'
      ? Math.abs(v) < 1e-3 && v !== 0
        ? v.toExponential(1)
        : v.toFixed(d)
      : String(v);
function writeDoc() {
  const lines = [
    '# torchvision models through PXP',
    '',
    `Measured by \`node bench/torchvision-coverage.mjs\` on ${new Date().toISOString().slice(0, 10)} (${os.cpus()[0].model}, ${os.cpus().length} cores; load average ${os.loadavg()[0].toFixed(1)} at the end). Random weights (no pretrained weights are reachable here; batch-norm statistics random too), 224×224, 4 images. Outputs: max |PXP − PyTorch| / max |PyTorch|. LRP vs zennit: relative L2 error of the input relevance, epsilon-plus-flat, zennit 0.5.1 with ResNetCanonizer / VGGCanonizer on the PyTorch model${process.env.PXP_ZENNIT_SRC ? '' : ' (not run: PXP_ZENNIT_SRC unset)'}. Pruning: rate 0.3 by LRP (epsilon-plus-flat, --normalize mean, --round-to auto (the default); ViT: heads), latency of the ONNX files on onnxruntime (the batch \`pxp prune\` picks: 64 images or 64 GFLOPs at most).`,
    '',
    '| model | MB | load s | params | GFLOPs | outputs (onnx) | outputs (tfjs) | LRP vs zennit | pruned params | pruned GFLOPs | latency ms (batch) | speed-up |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) =>
      r.error
        ? `| ${r.name} | ${f(r.mb, 0)} | error: ${r.error} |||||||||| `
        : `| ${r.name} | ${f(r.mb, 0)} | ${f(r.loadSeconds, 1)} | ${(r.params / 1e6).toFixed(1)} M | ${f(r.gflops)} | ${f(r.err_onnx)} | ${f(r.err_tfjs)} | ${f(r.lrpVsZennit)} | ${(r.prunedParams / 1e6).toFixed(1)} M | ${f(r.prunedGflops)} | ${f(r.latency?.original, 0)} → ${f(r.latency?.pruned, 0)} (${r.latency?.batch ?? '–'}) | ${f(r.speedup)}× |`,
    ),
  ];
  fs.writeFileSync(path.join(REPO, 'docs', 'torchvision-coverage.md'), lines.join('\n') + '\n');
  return lines;
}

for (const name of models) {
  const dir = path.join(CACHE, name);
  if (!fs.existsSync(path.join(dir, 'model.onnx'))) {
    console.error(`${name}: exporting…`);
    execFileSync(
      PYTHON,
      [
        path.join(REPO, 'scripts', 'export-torchvision.py'),
        '--models',
        name,
        '--size',
        '224',
        '--samples',
        '4',
        '--out',
        CACHE,
      ],
      { stdio: 'inherit' },
    );
  }
  const row = { name, mb: fs.statSync(path.join(dir, 'model.onnx')).size / 1e6 };
  try {
    const info = pxp(['info', '--model', path.join(dir, 'model.onnx')]);
    Object.assign(row, {
      loadSeconds: info.seconds,
      params: info.json.params,
      gflops: info.json.flops / 1e9,
      nodes: info.json.layers.length,
    });
    const want = readNpy(path.join(dir, 'outputs.npy')).data;
    for (const executor of ['onnx', 'tfjs']) {
      const out = path.join(work, name, `predict-${executor}`);
      pxp([
        'predict',
        '--model',
        path.join(dir, 'model.onnx'),
        '--inputs',
        path.join(dir, 'x.npy'),
        '--executor',
        executor,
        '--batch-size',
        '4',
        '--out',
        out,
      ]);
      row[`err_${executor}`] = relMax(readNpy(path.join(out, 'outputs.npy')).data, want);
    }
    if (process.env.PXP_ZENNIT_SRC && (name.startsWith('resnet') || name.startsWith('vgg'))) {
      const ref = path.join(work, name, 'zennit.npy');
      execFileSync(PYTHON, [path.join(REPO, 'bench', 'zennit_reference.py'), name, dir, 'epsilon-plus-flat', ref], {
        env: { ...process.env, PYTHONPATH: process.env.PXP_ZENNIT_SRC },
        stdio: 'inherit',
      });
      const out = path.join(work, name, 'attribute');
      pxp([
        'attribute',
        '--model',
        path.join(dir, 'model.onnx'),
        '--inputs',
        path.join(dir, 'x.npy'),
        '--targets',
        ref.replace('.npy', '-targets.npy'),
        '--composite',
        'epsilon-plus-flat',
        '--heatmaps',
        '0',
        '--batch-size',
        '4',
        '--out',
        out,
      ]);
      row.lrpVsZennit = relL2(readNpy(path.join(out, 'input.npy')).data, readNpy(ref).data);
    }
    // A task PXP can prune: the four inputs and jittered copies, labelled by PyTorch's predictions.
    const x = readNpy(path.join(dir, 'x.npy'));
    const k = want.length / x.shape[0];
    const labels = Array.from({ length: x.shape[0] }, (_, s) =>
      want.subarray(s * k, (s + 1) * k).reduce((b, v, i, a) => (v > a[b] ? i : b), 0),
    );
    const copies = 2;
    const xs = new Float32Array(x.data.length * copies);
    let seed = 1;
    for (let c = 0; c < copies; c++)
      for (let i = 0; i < x.data.length; i++)
        xs[c * x.data.length + i] =
          x.data[i] + (c ? ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.1 : 0);
    const ys = Int32Array.from({ length: x.shape[0] * copies }, (_, i) => labels[i % x.shape[0]]);
    for (const split of ['ref', 'eval']) {
      writeNpy(path.join(work, name, split, 'x.npy'), xs, [ys.length, ...x.shape.slice(1)], '<f4');
      writeNpy(path.join(work, name, split, 'y.npy'), ys, [ys.length], '<i4');
    }
    const classes = [...new Set(labels)].sort((a, b) => a - b).join(',');
    const components = name.startsWith('vit') ? ['--components', 'heads'] : [];
    const prune = pxp([
      'prune',
      '--model',
      path.join(dir, 'model.onnx'),
      '--reference',
      path.join(work, name, 'ref'),
      '--eval',
      path.join(work, name, 'eval'),
      '--classes',
      classes,
      ...components,
      '--rates',
      '0,0.3',
      '--rate',
      '0.3',
      '--normalize',
      'mean',
      '--criterion',
      'lrp:epsilon-plus-flat',
      '--out',
      path.join(work, name, 'prune'),
    ]);
    const p = prune.json.physical;
    Object.assign(row, {
      prunedParams: p.params.pruned,
      prunedGflops: p.flops.pruned / 1e9,
      latency: p.latencyMs,
      speedup: p.speedup,
      pruneSeconds: prune.seconds,
      maskedEqualsPruned: p.maskedAccuracy === p.prunedAccuracy,
    });
  } catch (e) {
    row.error = String(e.stderr ?? e.message)
      .trim()
      .split('\n')
      .slice(-3)
      .join(' ');
  }
  rows.push(row);
  console.error(JSON.stringify(row));
  // Written after every model, so a run cut short keeps what it measured.
  writeDoc();
}
fs.rmSync(work, { recursive: true, force: true });
console.log(writeDoc().join('\n'));
