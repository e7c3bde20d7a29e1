/**
 * The engine process: forked by the extension host (or a test), it starts each request as it arrives (several may
 * run at once, interleaved on this one thread), streams each one's progress by id, and aborts a request when asked.
 * It owns the tfjs backend, so the editor never computes.
 */
import { asPxpError } from '../core/errors';
import type { BackendPreference } from '../core/backend/select';
import type { Progress } from '../core/progress';
import { FromEngine, RequestMessage, isToEngine } from '../protocol/engine';
import { engineHandlers } from './handlers';

const send = (m: FromEngine) => process.send?.(m);
let backend: BackendPreference = 'auto';
const running = new Map<number, AbortController>();
const handlers = engineHandlers(() => backend);

async function handle(req: RequestMessage): Promise<void> {
  const controller = new AbortController();
  running.set(req.id, controller);
  try {
    const handler = handlers[req.method] as (p: unknown, c: object) => Promise<unknown>;
    if (!handler) throw new Error(`unknown engine method '${req.method}'`);
    const value = await handler(req.params, {
      signal: controller.signal,
      onProgress: (p: Progress) => send({ type: 'progress', id: req.id, ...p }),
      output: (line: string) => send({ type: 'output', id: req.id, line }),
    });
    send({ type: 'result', id: req.id, value: value as never });
  } catch (e) {
    const err = asPxpError(e);
    if (err.code === 'internal') send({ type: 'log', level: 'error', message: err.stack ?? err.message });
    send({ type: 'error', id: req.id, code: err.code, message: err.message, hint: err.hint });
  } finally {
    running.delete(req.id);
  }
}

process.on('message', (m: unknown) => {
  if (!isToEngine(m)) {
    send({ type: 'log', level: 'warn', message: `ignored a malformed message: ${JSON.stringify(m)?.slice(0, 200)}` });
    return;
  }
  if (m.type === 'configure') backend = m.backend;
  else if (m.type === 'cancel') running.get(m.id)?.abort();
  else void handle(m);
});
process.on('disconnect', () => process.exit(0));
