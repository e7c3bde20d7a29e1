/**
 * How the ONNX importer turns weights into tensors. Every command needs their values ('values': decoded from the
 * file, reordered for the engine, copied into the backend). `pxp info` and the .onnx view need only the model's
 * structure ('shapes'): layers, shapes, parameter counts, MACs, component groups. There a large weight is never
 * decoded; its tensor holds zeros on a CPU backend of its own, allocated but never written, so a 350 MB ViT-B reads
 * in a fraction of the time and memory (NOTES.md, issue #18) and the engine's backend heap does not grow by the model.
 */
import * as tf from '@tensorflow/tfjs';

export type WeightMode = 'values' | 'shapes';

/** Initializers of at least this many values are read as shapes only in 'shapes' mode (smaller ones are decoded). */
export const SHAPES_ONLY_FROM = 1 << 16;

export interface WeightSink {
  mode: WeightMode;
  /** A float32 weight tensor; `values` (the engine-ordered data) is called only when the values are wanted. */
  tensor(shape: number[], values: () => Float32Array): tf.Tensor;
}

const VALUES: WeightSink = { mode: 'values', tensor: (shape, values) => tf.tensor(values(), shape, 'float32') };

let zerosBackend: tf.KernelBackend | undefined;

/** A CPU backend outside tfjs's registry: its tensors keep the arrays they are given, without a copy. */
function zeros(): tf.KernelBackend {
  if (!zerosBackend) {
    const make = tf.findBackendFactory('cpu');
    if (!make) throw new Error("tfjs's CPU backend is not registered");
    zerosBackend = make() as tf.KernelBackend;
    // Its first write warns that tfjs-node is faster, which does not apply to tensors nobody computes with.
    (zerosBackend as unknown as { firstUse: boolean }).firstUse = false;
  }
  return zerosBackend;
}

const SHAPES: WeightSink = {
  mode: 'shapes',
  tensor(shape) {
    const backend = zeros();
    // A fresh Float32Array is zero pages the OS maps only when written: the tensor takes no memory.
    const size = shape.reduce((a, b) => a * b, 1);
    const dataId = backend.write(new Float32Array(size), shape, 'float32');
    return tf.engine().makeTensorFromDataId(dataId, shape, 'float32', backend);
  },
};

export const weightSink = (mode: WeightMode): WeightSink => (mode === 'shapes' ? SHAPES : VALUES);
