import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  EXECUTORS,
  type SuiteReport,
  TESTDATA,
  formatReport,
  runBackendSuite,
  totals,
} from '../helpers/onnx-backend-suite';
import { useDefaultBackend } from '../helpers/backend';

// ONNX's own backend tests through pxp predict (see test/helpers/onnx-backend-suite.ts); `npm run test:onnx-backend`
// prints the same table on its own.
describe("ONNX's backend tests (libonnx-testdata) through pxp predict", function () {
  this.timeout(600_000);
  let report: SuiteReport;

  before(async () => {
    if (!fs.existsSync(TESTDATA))
      throw new Error(`${TESTDATA} is missing: apt-get install libonnx-testdata (scripts/test.sh does)`);
    await useDefaultBackend();
    report = await runBackendSuite();
    process.stdout.write(`\n${formatReport(report)}\n\n`);
  });

  it("every test PXP takes gives ONNX's expected outputs (≤ 1e-4 relative) on both executors, in process and through the CLI", () => {
    const failed = report.results.filter((r) => r.status === 'failed');
    assert.deepEqual(
      failed.map((r) => `${r.suite}/${r.name}: ${r.detail}`),
      [],
    );
    const ran = report.results.filter((r) => r.status === 'passed');
    assert.ok(ran.length > 0, 'no test ran');
    for (const r of ran)
      assert.deepEqual(Object.keys(r.error ?? {}).sort(), [...EXECUTORS].sort(), `${r.name} ran on both executors`);
    assert.ok(
      report.results.some((r) => r.cli),
      'some tests ran through node dist/cli.js',
    );
  });

  it('every test PXP cannot take is refused by its reader with a message naming what it cannot use', () => {
    const t = totals(report);
    assert.equal(t.ran + t.skipped, report.results.length);
    // Refusals are PXP's bad-input errors (anything else fails above); each says what: an op, an input, an opset, …
    for (const r of report.results.filter((x) => x.status === 'skipped'))
      assert.ok(r.detail && r.detail.length > 10 && !r.detail.includes(TESTDATA), `${r.name}: '${r.detail}'`);
  });
});
