/**
 * Search trials on a worker thread: the thread loads the model and the data once, then evaluates one point of the
 * search space per message (relevance → scores → masked curve). The parent keeps the relevance cache: it sends the
 * relevance of a rule assignment it already knows, and the thread sends back relevance it had to compute.
 */
import type { MessagePort } from 'node:worker_threads';
import { initBackend } from '../core/backend/select';
import { asPxpError } from '../core/errors';
import { openAnyModel } from '../core/io/open-model';
import { setOrtThreads } from '../core/onnx/runtime';
import { catalogue, chooseComponents } from '../core/prune/catalogue';
import { maskedEvaluator, nodeShapes } from '../core/prune/masked-eval';
import { AttributionObjective } from '../core/search/attribution-search';
import type { FromTrialWorker, SearchTrialsInit, ToTrialWorker } from '../protocol/workers';

export async function serveSearchTrials(init: SearchTrialsInit, port: MessagePort): Promise<void> {
  const fail = (e: unknown, id?: number) => {
    const err = asPxpError(e);
    port.postMessage({
      type: 'failed',
      id,
      code: err.code,
      message: err.message,
      hint: err.hint,
    } satisfies FromTrialWorker);
  };
  let objective: AttributionObjective;
  try {
    setOrtThreads(init.ortThreads);
    await initBackend(init.backend);
    const model = await openAnyModel(init.modelPath);
    const graph = model.graph();
    model.dispose();
    const layers = chooseComponents(catalogue(graph), init.components);
    const shapes = nodeShapes(graph, init.reference.shape.slice(1));
    const evaluator = await maskedEvaluator(graph, layers, init.evaluation, {
      executor: init.executor,
      allowedClasses: init.classes,
    });
    objective = new AttributionObjective({
      graph,
      shapes,
      layers,
      groups: init.groups,
      reference: init.reference,
      evaluator,
      executor: init.executor,
      rates: init.rates,
      normalize: init.normalize,
    });
  } catch (e) {
    fail(e);
    return;
  }
  // One trial at a time: the parent sends the next only after this one's answer. The pool ends a thread by
  // terminating it, which frees its model and sessions with it.
  port.on('message', (m: ToTrialWorker) => {
    void (async () => {
      try {
        const t0 = Date.now();
        if (m.relevance) objective.remember(m.params, m.relevance);
        const computed = !objective.has(m.params);
        const curve = await objective.evaluate(m.params);
        const relevance = computed ? await objective.relevance(m.params) : undefined;
        port.postMessage({
          type: 'trial-result',
          id: m.id,
          curve,
          relevance,
          seconds: (Date.now() - t0) / 1000,
        } satisfies FromTrialWorker);
      } catch (e) {
        fail(e, m.id);
      }
    })();
  });
  port.postMessage({ type: 'ready' } satisfies FromTrialWorker);
}
