/**
 * Work a worker thread can do for the engine: each task loads what it needs from files (a worker has its own tfjs
 * and its own backend) and returns plain typed arrays, so results cross threads without copies.
 */
import { initBackend } from '../core/backend/select';
import { disposeGraph } from '../core/graph/graph';
import { openAnyModel } from '../core/io/open-model';
import { type AttributionResult, attribute } from '../core/lrp/attribute';
import type { AttributeTask } from '../protocol/workers';

export async function runWorkerTask(
  task: AttributeTask,
  onProgress: (done: number) => void,
): Promise<AttributionResult> {
  await initBackend(task.backend);
  const model = await openAnyModel(task.modelPath);
  const graph = model.graph();
  try {
    return await attribute(graph, task.composite, task.x, task.shape, {
      targets: task.targets,
      init: task.init,
      batchSize: task.batchSize,
      // One worker per core already; each keeps to the tfjs executor on its thread.
      executor: 'tfjs',
      onProgress: (p) => onProgress(p.done),
    });
  } finally {
    disposeGraph(graph);
    model.dispose();
  }
}
