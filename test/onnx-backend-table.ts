/**
 * `npm run test:onnx-backend`: ONNX's backend tests (libonnx-testdata) through pxp predict on both executors, and
 * the per-op table of how many ran, passed, failed and were skipped. Exits 1 when a test that ran failed.
 * Optional argument: a regular expression on `suite/name` (e.g. 'node/test_softmax').
 */
import { initBackend } from '../src/core/backend/select';
import { formatReport, runBackendSuite, totals } from './helpers/onnx-backend-suite';

async function main(): Promise<void> {
  await initBackend('auto');
  const filter = process.argv[2] ? new RegExp(process.argv[2]) : undefined;
  const report = await runBackendSuite({
    filter,
    onResult: (r) =>
      process.stderr.write(`${r.status.padEnd(7)} ${r.suite}/${r.name}${r.detail ? `: ${r.detail}` : ''}\n`),
  });
  process.stdout.write(formatReport(report) + '\n');
  process.exitCode = totals(report).failed ? 1 : 0;
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exitCode = 3;
});
