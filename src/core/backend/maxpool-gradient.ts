/**
 * Max-pooling's gradient with PyTorch's tie rule: each window sends its gradient to its FIRST maximum in row-major
 * order (method.md §5). The stock kernels disagree with each other (cpu picks the first maximum, wasm the last), and
 * after a ReLU ties at 0 are common, so relevance and gradient criteria would depend on the backend without this.
 */
import * as tf from '@tensorflow/tfjs';

export interface PoolGeometry {
  pool: [number, number];
  strides: [number, number];
  /** Padding before the first row / column (TF 'same' pads are computed by tfjs). */
  padTop: number;
  padLeft: number;
  outHeight: number;
  outWidth: number;
}

/** dx for y = maxPool(x): x is [N, H, W, C], dy is [N, outH, outW, C], both row-major. */
export function maxPoolBackward(x: Float32Array, xShape: number[], dy: Float32Array, g: PoolGeometry): Float32Array {
  const [n, h, w, c] = xShape;
  const dx = new Float32Array(x.length);
  const [ph, pw] = g.pool;
  const [sh, sw] = g.strides;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < g.outHeight; oy++) {
      const y0 = oy * sh - g.padTop;
      for (let ox = 0; ox < g.outWidth; ox++) {
        const x0 = ox * sw - g.padLeft;
        const outBase = ((b * g.outHeight + oy) * g.outWidth + ox) * c;
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          let at = -1;
          for (let ky = 0; ky < ph; ky++) {
            const yy = y0 + ky;
            if (yy < 0 || yy >= h) continue;
            for (let kx = 0; kx < pw; kx++) {
              const xx = x0 + kx;
              if (xx < 0 || xx >= w) continue;
              const i = ((b * h + yy) * w + xx) * c + ch;
              // Strict '>' keeps the first maximum; NaN wins, as in PyTorch.
              if (x[i] > best || (Number.isNaN(x[i]) && !Number.isNaN(best))) {
                best = x[i];
                at = i;
              }
            }
          }
          if (at >= 0) dx[at] += dy[outBase + ch];
        }
      }
    }
  }
  return dx;
}

export function poolGeometry(
  xShape: number[],
  pool: [number, number],
  strides: [number, number],
  pad: 'same' | 'valid' | number | [[number, number], [number, number]],
): PoolGeometry {
  if (Array.isArray(pad)) {
    // Explicit pads (PyTorch): positions outside the input are skipped, as −∞ padding would be.
    const [[t, b], [l, r]] = pad;
    const outHeight = Math.floor((xShape[1] + t + b - pool[0]) / strides[0]) + 1;
    const outWidth = Math.floor((xShape[2] + l + r - pool[1]) / strides[1]) + 1;
    return { pool, strides, padTop: t, padLeft: l, outHeight, outWidth };
  }
  const info = tf.backend_util.computePool2DInfo(xShape as [number, number, number, number], pool, strides, 1, pad);
  return {
    pool,
    strides,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
  };
}

let registered = false;

/** Makes tf.grad through tf.maxPool follow the first-maximum rule on every backend. */
export function registerMaxPoolGradient(): void {
  if (registered) return;
  registered = true;
  tf.registerGradient({
    kernelName: 'MaxPool',
    inputsToSave: ['x'],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const [x] = saved;
      const a = attrs as unknown as {
        filterSize: number | [number, number];
        strides: number | [number, number];
        pad: 'same' | 'valid' | number;
      };
      const geometry = poolGeometry(x.shape, toPair(a.filterSize), toPair(a.strides), a.pad);
      return {
        x: () =>
          tf.tensor(
            maxPoolBackward(
              x.dataSync() as Float32Array,
              x.shape,
              (dy as tf.Tensor).dataSync() as Float32Array,
              geometry,
            ),
            x.shape,
          ),
      };
    },
  });
}

const toPair = (v: number | [number, number]): [number, number] => (Array.isArray(v) ? v : [v, v]);
