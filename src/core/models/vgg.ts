/**
 * VGG-style CNN: blocks of 3×3 conv → BN → ReLU followed by 2×2 max pooling, then one hidden dense layer and a
 * linear classifier (the model outputs logits; LRP explains logits). Default widths give ~110 k parameters at
 * 28×28×1, small enough to train on two CPU cores and large enough to exceed 90 % on Fashion-MNIST.
 */
import * as tf from '@tensorflow/tfjs';
import { SeededInit, classifier, convBnRelu } from './layers';

export interface VggOptions {
  inputShape: [number, number, number];
  numClasses: number;
  /** Filters per block; each block has `convsPerBlock` convs and ends in max pooling. */
  widths?: number[];
  convsPerBlock?: number;
  hidden?: number;
  dropout?: number;
  seed?: number;
}

export function buildVgg(opts: VggOptions): tf.LayersModel {
  const widths = opts.widths ?? [16, 32, 64];
  const convs = opts.convsPerBlock ?? 2;
  const init = new SeededInit(opts.seed ?? 0);
  const input = tf.input({ shape: opts.inputShape, name: 'input' });
  let x: tf.SymbolicTensor = input;
  widths.forEach((filters, b) => {
    for (let c = 1; c <= convs; c++) {
      const n = `block${b + 1}`;
      x = convBnRelu(x, init, n, filters, {
        names: { conv: `${n}_conv${c}`, bn: `${n}_bn${c}`, relu: `${n}_relu${c}` },
      });
    }
    x = tf.layers.maxPooling2d({ name: `block${b + 1}_pool`, poolSize: 2, strides: 2 }).apply(x) as tf.SymbolicTensor;
  });
  x = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .dense({ name: 'fc1', units: opts.hidden ?? 64, kernelInitializer: init.he() })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ name: 'fc1_relu' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .dropout({ name: 'fc1_dropout', rate: opts.dropout ?? 0.3, seed: opts.seed })
    .apply(x) as tf.SymbolicTensor;
  const logits = classifier(x, init, opts.numClasses);
  return tf.model({ name: 'vgg', inputs: input, outputs: logits });
}
