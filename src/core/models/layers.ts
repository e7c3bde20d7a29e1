/**
 * Building blocks shared by the model zoo. Every layer gets a stable, readable name (block2_conv1, s1b1_add, …)
 * because names are how users, composites (per-layer rules) and reports refer to layers.
 */
import * as tf from '@tensorflow/tfjs';

/** Seeds initializers one after another, so the same seed builds the same weights. */
export class SeededInit {
  private next: number;
  constructor(seed: number) {
    this.next = seed * 1000;
  }
  he() {
    return tf.initializers.heNormal({ seed: this.next++ });
  }
  glorot() {
    return tf.initializers.glorotUniform({ seed: this.next++ });
  }
}

/** conv → batch norm → ReLU, named `${name}_conv`, `${name}_bn`, `${name}_relu` unless `relu` is false. */
export function convBnRelu(
  x: tf.SymbolicTensor,
  init: SeededInit,
  name: string,
  filters: number,
  opts: { kernel?: number; strides?: number; relu?: boolean; names?: { conv: string; bn: string; relu: string } } = {},
): tf.SymbolicTensor {
  const names = opts.names ?? { conv: `${name}_conv`, bn: `${name}_bn`, relu: `${name}_relu` };
  const k = opts.kernel ?? 3;
  let y = tf.layers
    .conv2d({
      name: names.conv,
      filters,
      kernelSize: k,
      strides: opts.strides ?? 1,
      padding: 'same',
      kernelInitializer: init.he(),
    })
    .apply(x) as tf.SymbolicTensor;
  y = tf.layers
    .batchNormalization({ name: names.bn, axis: -1, momentum: 0.9, epsilon: 1e-5 })
    .apply(y) as tf.SymbolicTensor;
  if (opts.relu === false) return y;
  return tf.layers.reLU({ name: names.relu }).apply(y) as tf.SymbolicTensor;
}

export function classifier(x: tf.SymbolicTensor, init: SeededInit, numClasses: number): tf.SymbolicTensor {
  return tf.layers
    .dense({ name: 'classifier', units: numClasses, kernelInitializer: init.glorot() })
    .apply(x) as tf.SymbolicTensor;
}
