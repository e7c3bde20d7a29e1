/**
 * Entry of a worker thread (dist/worker.js). An attribute task runs once from workerData and posts progress and the
 * result; a search-trials worker stays up and answers one trial per message (search-trials.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { asPxpError } from '../core/errors';
import type { FromAttributeWorker, WorkerData } from '../protocol/workers';
import { serveSearchTrials } from './search-trials';
import { runWorkerTask } from './worker-tasks';

const data = workerData as WorkerData;
const post = (m: FromAttributeWorker) => parentPort?.postMessage(m);
if (data.kind === 'search-trials') void serveSearchTrials(data, parentPort!);
else
  runWorkerTask(data, (done) => post({ type: 'progress', done })).then(
    (value) => post({ type: 'result', value }),
    (e) => {
      const err = asPxpError(e);
      post({ type: 'error', code: err.code, message: err.message, hint: err.hint });
    },
  );
