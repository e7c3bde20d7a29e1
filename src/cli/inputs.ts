/** Reading the inputs commands share (--model, --data), with the checks that must pass before any work starts. */
import type * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../core/io/datasets';
import { ModelSummary, summarizeModel } from '../core/graph/summary';
import { loadModel, resolveModelJson } from '../core/io/model-files';
import { checkDataFitsModel } from '../core/io/data-fits-model';

export interface OpenedModel {
  file: string;
  model: tf.LayersModel;
  summary: ModelSummary;
}

export async function openModel(modelPath: string): Promise<OpenedModel> {
  const file = resolveModelJson(modelPath);
  const model = await loadModel(file);
  return { file, model, summary: summarizeModel(model) };
}

export function checkFits(data: Dataset, opened: OpenedModel): void {
  checkDataFitsModel(data, opened.summary, opened.file);
}
