/** Entry of a worker thread (dist/worker.js): runs one task from workerData and posts progress and the result. */
import { parentPort, workerData } from 'node:worker_threads';
import { asPxpError } from '../core/errors';
import { runWorkerTask, type WorkerTask } from './worker-tasks';

runWorkerTask(workerData as WorkerTask, (done) => parentPort?.postMessage({ type: 'progress', done })).then(
  (value) => parentPort?.postMessage({ type: 'result', value }),
  (e) => {
    const err = asPxpError(e);
    parentPort?.postMessage({ type: 'error', code: err.code, message: err.message, hint: err.hint });
  },
);
