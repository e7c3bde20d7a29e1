/** Checks that a dataset can be fed to a model: sample shape and label range. Run before any work starts. */
import { badInput } from '../errors';
import type { ModelSummary } from '../graph/summary';
import type { Dataset } from './datasets';

export function checkDataFitsModel(data: Dataset, model: ModelSummary, modelFile: string): void {
  const want = model.inputShape.join('×');
  const got = data.shape.slice(1).join('×');
  if (want !== got) {
    throw badInput(
      `${data.source}: samples have shape ${got}, but the model ${modelFile} takes ${want}`,
      'use data of the size the model was trained on (images are NHWC, values in [0, 1])',
    );
  }
  let max = -1;
  for (const label of data.y) if (label > max) max = label;
  if (max >= model.numClasses) {
    throw badInput(
      `${data.source}: label ${max} is out of range for the model's ${model.numClasses} classes`,
      `labels must be class indices 0…${model.numClasses - 1}`,
    );
  }
}
