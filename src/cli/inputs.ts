/** Reading the inputs commands share (--model, --data), with the checks that must pass before any work starts. */
import type { Dataset } from '../core/io/datasets';
import { checkDataFitsModel } from '../core/io/data-fits-model';
import { datasetForEngine } from '../core/io/array-layout';
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

