/** The engine's methods: each takes its typed params and a RunControl (progress, cancellation) and calls the core. */
import { initBackend } from '../core/backend/select';
import { checkDataFitsModel } from '../core/io/data-fits-model';
import { loadDataArgument } from '../core/io/datasets';
import { loadModel, resolveModelJson } from '../core/io/model-files';
import { summarizeModel } from '../core/graph/summary';
import { evaluateAccuracy, measureLatency } from '../core/models/evaluate';
import type { RunControl } from '../core/progress';
import type { BackendPreference } from '../core/backend/select';
import type { EngineMethod, EngineMethods } from '../protocol/engine';

type Handler<M extends EngineMethod> = (params: EngineMethods[M]['params'], control: RunControl) => Promise<EngineMethods[M]['result']>;

export function engineHandlers(backend: () => BackendPreference): { [M in EngineMethod]: Handler<M> } {
  return {
    async info({ model }) {
      const choice = await initBackend(backend());
      const m = await loadModel(model);
      try {
        return { ...summarizeModel(m), backend: choice };
      } finally {
        m.dispose();
      }
    },
    async evaluate({ model, data, split, limit }, control) {
      const choice = await initBackend(backend());
      const ds = loadDataArgument(data, split ?? 'test', { limit });
      const m = await loadModel(model);
      try {
        const summary = summarizeModel(m);
        checkDataFitsModel(ds, summary, resolveModelJson(model));
        const acc = await evaluateAccuracy(m, ds, control);
        const latency = await measureLatency(m, summary.inputShape);
        return { ...acc, latency, backend: choice };
      } finally {
        m.dispose();
      }
    },
  };
}
