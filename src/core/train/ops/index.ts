/** The training step's emitters, one entry per op type; an op missing here is not trained on onnxruntime. */
import type { Op, OpType } from '../../graph/graph';
import type { OpOf, TrainOp } from '../step-context';
import { attention } from './attention';
import { conv2d } from './conv';
import { dense } from './dense';
import { batchnorm, layernorm } from './normalization';
import { activation, add, identity } from './pointwise';
import { flatten, globalavgpool, maxpool, zeropad } from './spatial';
import { addweight, classtoken, patches, taketoken } from './tokens';

type TrainOpTable = { [T in OpType]?: TrainOp<OpOf<T>, unknown> };

const TRAIN_OPS: TrainOpTable = {
  conv2d,
  dense,
  batchnorm,
  layernorm,
  activation,
  maxpool,
  globalavgpool,
  flatten,
  zeropad,
  identity,
  add,
  patches,
  classtoken,
  addweight,
  taketoken,
  attention,
};

export function trainOpFor(op: Op): TrainOp<Op, unknown> | undefined {
  // The table is keyed by op type, so the entry found takes this op.
  return TRAIN_OPS[op.type] as TrainOp<Op, unknown> | undefined;
}
