/**
 * ResNet-style CNN: a stem conv, stages of basic residual blocks (conv-BN-ReLU-conv-BN + shortcut, then ReLU),
 * global average pooling and a linear classifier. The first block of a later stage halves the resolution and uses a
 * 1×1 projection shortcut, so the model has both identity and projection adds — the two cases pruning groups must
 * handle (channels joined by an Add are removed together).
 */
import * as tf from '@tensorflow/tfjs';
import { SeededInit, classifier, convBnRelu } from './layers';

export interface ResNetOptions {
  inputShape: [number, number, number];
  numClasses: number;
  /** Channels per stage. */
  widths?: number[];
  blocksPerStage?: number;
  seed?: number;
}

function basicBlock(
  x: tf.SymbolicTensor,
  init: SeededInit,
  name: string,
  filters: number,
  strides: number,
): tf.SymbolicTensor {
  const inChannels = x.shape[x.shape.length - 1];
  let y = convBnRelu(x, init, `${name}_1`, filters, { strides });
  y = convBnRelu(y, init, `${name}_2`, filters, { relu: false });
  let shortcut = x;
  if (strides !== 1 || inChannels !== filters) {
    shortcut = convBnRelu(x, init, `${name}_proj`, filters, { kernel: 1, strides, relu: false });
  }
  const sum = tf.layers.add({ name: `${name}_add` }).apply([y, shortcut]) as tf.SymbolicTensor;
  return tf.layers.reLU({ name: `${name}_out` }).apply(sum) as tf.SymbolicTensor;
}

export function buildResNet(opts: ResNetOptions): tf.LayersModel {
  const widths = opts.widths ?? [16, 32, 64];
  const blocks = opts.blocksPerStage ?? 2;
  const init = new SeededInit(opts.seed ?? 0);
  const input = tf.input({ shape: opts.inputShape, name: 'input' });
  let x = convBnRelu(input, init, 'stem', widths[0]);
  widths.forEach((filters, s) => {
    for (let b = 0; b < blocks; b++) {
      x = basicBlock(x, init, `s${s + 1}b${b + 1}`, filters, s > 0 && b === 0 ? 2 : 1);
    }
  });
  x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tf.SymbolicTensor;
  const logits = classifier(x, init, opts.numClasses);
  return tf.model({ name: 'resnet', inputs: input, outputs: logits });
}
