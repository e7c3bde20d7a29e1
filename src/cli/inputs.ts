/** Reading the inputs commands share (--model, --data), with the checks that must pass before any work starts. */
import type { Dataset } from '../core/io/datasets';
import { checkDataFitsModel } from '../core/io/data-fits-model';
import { arrayForEngine, datasetForEngine } from '../core/io/array-layout';
import { readNpy } from '../core/io/npy';
import { type LoadedModel, openAnyModel } from '../core/io/open-model';

export type OpenedModel = LoadedModel;

/** A tfjs model.json (or its folder) or an ONNX file from PyTorch. */
export async function openModel(modelPath: string, opts: { inputShape?: number[] } = {}): Promise<OpenedModel> {
  return openAnyModel(modelPath, opts);
}

/** The data set in the engine's layout, checked against the model (sample shape, label range). */
export function fitData(data: Dataset, opened: OpenedModel): Dataset {
  const fitted = datasetForEngine(data, opened);
  checkDataFitsModel(fitted, opened.summary, opened.file);
  return fitted;
}


/**
 * The samples of --inputs in the engine's layout (an NCHW model's [N, C, H, W] transposed), uint8 scaled to [0, 1]
 * as data folders are, so an array means the same to every command.
 */
export function readInputs(file: string, model: OpenedModel): { x: Float32Array; shape: number[] } {
  const arr = readNpy(file);
  const data = arr.dtype === 'float32' ? arr.data : arr.dtype === 'uint8' ? Float32Array.from(arr.data, (v) => v / 255) : Float32Array.from(arr.data);
  return arrayForEngine(data, arr.shape, model, file);
}
