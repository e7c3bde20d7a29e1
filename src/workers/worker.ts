/**
 * Entry of a worker thread (dist/worker.js). An attribute task runs once from workerData and posts progress and the
 * result; a search-trials worker stays up and answers one trial per message (search-trials.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { asPxpError } from '../core/errors';
import { serveSearchTrials, type SearchTrialsInit } from './search-trials';
import { runWorkerTask, type WorkerTask } from './worker-tasks';

const data = workerData as WorkerTask | SearchTrialsInit;
if (data.kind === 'search-trials') void serveSearchTrials(data, parentPort!);
else
  runWorkerTask(data, (done) => parentPort?.postMessage({ type: 'progress', done })).then(
    (value) => parentPort?.postMessage({ type: 'result', value }),
    (e) => {
      const err = asPxpError(e);
      parentPort?.postMessage({ type: 'error', code: err.code, message: err.message, hint: err.hint });
    },
  );
