/** Reading the inputs commands share (--model, --data, --inputs), with the checks that must pass before any work starts. */
import type { Dataset, ValueRange } from '../core/io/datasets';
import { gatherFloats } from '../core/io/datasets';
import { badInput } from '../core/errors';
import { checkDataFitsModel } from '../core/io/data-fits-model';
import { arrayForEngine, datasetForEngine } from '../core/io/array-layout';
import { readNpy } from '../core/io/npy';
import { type LoadedModel, openAnyModel } from '../core/io/open-model';
import type { OptionSpec } from './command';
import { inputRangeValue } from './flags';

export type OpenedModel = LoadedModel;

export const INPUT_RANGE_OPTION: OptionSpec = {
  type: 'string',
  placeholder: 'LO,HI',
  description:
    'the range float .npy samples are in, mapped onto [0, 1] as uint8 pixels are (e.g. 0,255); default: taken as they are',
  value: inputRangeValue,
};

/** A tfjs model.json (or its folder) or an ONNX file from PyTorch. */
export async function openModel(
  modelPath: string,
  opts: Parameters<typeof openAnyModel>[1] = {},
): Promise<OpenedModel> {
  return openAnyModel(modelPath, opts);
}

/** Float values 1 % of the range beyond its ends still count as inside (rounding, light augmentation). */
const RANGE_SLACK = 0.01;

/**
 * Float samples held against the range a model documents (PXP's own models: [0, 1]): 0–255 pixels saved as floats
 * would be read as they are and ruin every result, so they are refused with the fix.
 */
export function checkValueRange(
  range: ValueRange | undefined,
  modelRange: [number, number] | undefined,
  modelName: string,
  given?: [number, number],
): void {
  if (!range || !modelRange) return;
  const [lo, hi] = modelRange;
  const slack = RANGE_SLACK * (hi - lo);
  const after = given ? ` after --input-range ${given.join(',')}` : '';
  const fix = given
    ? `pass the range the array's values are in as --input-range LO,HI`
    : `if it holds 0–255 pixels, divide the array by 255 (np.save(path, x / 255)) or pass --input-range 0,255; otherwise pass --input-range LO,HI with the range its values are in`;
  if (range.max > hi + slack)
    throw badInput(
      `${range.file}: sample ${range.maxSample} has values up to ${range.max}${after}, outside [${lo}, ${hi}], the range ${modelName} takes`,
      fix,
    );
  if (range.min < lo - slack)
    throw badInput(
      `${range.file}: sample ${range.minSample} has values down to ${range.min}${after}, outside [${lo}, ${hi}], the range ${modelName} takes`,
      fix,
    );
}

/** A data set checked against the input range of `modelName`. */
export function checkDataRange(
  data: Dataset,
  modelRange: [number, number] | undefined,
  modelName: string,
  given?: [number, number],
): Dataset {
  checkValueRange(data.valueRange, modelRange, modelName, given);
  return data;
}

/** The data set in the engine's layout, checked against the model (sample shape, label range, value range). */
export function fitData(data: Dataset, opened: OpenedModel, given?: [number, number]): Dataset {
  const fitted = datasetForEngine(data, opened);
  checkDataFitsModel(fitted, opened.summary, opened.file);
  checkValueRange(fitted.valueRange, opened.inputRange, opened.file, given);
  return fitted;
}

/**
 * The samples of --inputs in the engine's layout (an NCHW model's [N, C, H, W] transposed), uint8 scaled to [0, 1]
 * as data folders are (float data mapped from --input-range when given), checked like data folders.
 */
export function readInputs(
  file: string,
  model: OpenedModel,
  given?: [number, number],
): { x: Float32Array; shape: number[] } {
  const arr = readNpy(file);
  let data: Float32Array;
  if (arr.dtype === 'uint8') data = Float32Array.from(arr.data, (v) => v / 255);
  else {
    const n = arr.shape[0] ?? 1;
    const per = arr.data.length / Math.max(1, n);
    const rows = Array.from({ length: arr.shape.length > 1 ? n : 1 }, (_, i) => i);
    const floats = arr.dtype === 'float32' ? arr.data : Float32Array.from(arr.data);
    const read = gatherFloats(floats, arr.shape.length > 1 ? per : floats.length, rows, file, given);
    checkValueRange(read.valueRange, model.inputRange, model.file, given);
    data = read.x;
  }
  return arrayForEngine(data, arr.shape, model, file);
}
