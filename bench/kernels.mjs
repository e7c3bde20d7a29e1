// Times the conv-gradient kernels: stock vs ours on cpu, ours (and stock where it exists) on wasm.
// Run: node --import=tsx bench/kernels.mjs [reps]
import * as path from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import { registerFastKernels, restoreStockKernels } from '../src/core/backend/kernels.ts';

const require = createRequire(import.meta.url);
const REPS = Number(process.argv[2] ?? 3);

// [label, kernel, x/input shape, filter shape, strides, pad]
const CASES = [
  ['conv 3x3 s1', 'conv', [8, 32, 32, 16], [3, 3, 16, 32], 1, 'same'],
  ['conv 3x3 s2', 'conv', [8, 32, 32, 16], [3, 3, 16, 32], 2, 'same'],
  ['conv 1x1 s1', 'conv', [8, 16, 16, 64], [1, 1, 64, 64], 1, 'valid'],
  ['dw 3x3 s1', 'dw', [8, 32, 32, 32], [3, 3, 32, 1], 1, 'same'],
  ['dw 3x3 s2', 'dw', [8, 32, 32, 32], [3, 3, 32, 1], 2, 'same'],
];

function calls([, kind, xShape, fShape, strides, pad]) {
  const info = tf.backend_util.computeConv2DInfo(xShape, fShape, strides, 1, pad, undefined, kind === 'dw');
  const x = tf.randomNormal(xShape);
  const f = tf.randomNormal(fShape);
  const dy = tf.randomNormal(info.outShape);
  const common = kind === 'dw' ? { strides, pad, dilations: 1 } : { strides, pad, dataFormat: 'NHWC' };
  const names =
    kind === 'dw'
      ? ['DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput']
      : ['Conv2DBackpropFilter', 'Conv2DBackpropInput'];
  return {
    tensors: [x, f, dy],
    filter: () => tf.engine().runKernel(names[0], { x, dy }, { ...common, filterShape: fShape }),
    input: () => tf.engine().runKernel(names[1], { dy, filter: f }, { ...common, inputShape: xShape }),
    names,
  };
}

function time(fn) {
  const once = () => {
    const t0 = performance.now();
    const out = fn();
    out.dataSync();
    out.dispose();
    return performance.now() - t0;
  };
  once(); // warm-up
  const ts = Array.from({ length: REPS }, once).sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)];
}

const fmt = (ms) => (ms === undefined ? '—' : ms < 10 ? ms.toFixed(2) : ms.toFixed(0));

async function main() {
  wasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + '/');
  for (const c of CASES) {
    for (const which of ['filter', 'input']) {
      const row = { case: `${c[0]} ${which}` };
      await tf.setBackend('cpu');
      restoreStockKernels('cpu');
      let k = calls(c);
      row.cpuStock = time(k[which]);
      registerFastKernels('cpu', 'all'); // time ours even where cpu keeps its stock kernel by default
      row.cpuOurs = time(k[which]);
      tf.dispose(k.tensors);

      await tf.setBackend('wasm');
      await tf.ready();
      restoreStockKernels('wasm');
      k = calls(c);
      const name = k.names[which === 'filter' ? 0 : 1];
      if (tf.getKernel(name, 'wasm')) row.wasmStock = time(k[which]);
      registerFastKernels('wasm', 'all');
      row.wasmOurs = time(k[which]);
      tf.dispose(k.tensors);
      console.log(
        `${row.case.padEnd(20)} cpu stock ${fmt(row.cpuStock).padStart(7)} ms` +
          `  cpu ours ${fmt(row.cpuOurs).padStart(6)} ms` +
          `  wasm stock ${fmt(row.wasmStock).padStart(7)} ms  wasm ours ${fmt(row.wasmOurs).padStart(6)} ms`,
      );
    }
  }
}

main();
