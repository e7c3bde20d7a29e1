/**
 * Entry of the extension tests inside a real VS Code (code-server's extension host, see testing.md): runs the
 * mocha suites bundled beside this file and writes {passed, failed, failures} to $PXP_EXTENSION_TEST_RESULT,
 * since the host gives no exit code.
 */
import fs from 'node:fs';
import path from 'node:path';
// Resolved at run time from the extension's node_modules (kept external by scripts/build-editor-tests.js).
import Mocha from 'mocha';

export async function run(): Promise<void> {
  const resultFile = process.env.PXP_EXTENSION_TEST_RESULT ?? path.join(__dirname, 'result.json');
  const mocha = new Mocha({
    ui: 'bdd',
    timeout: 300_000,
    color: false,
    grep: process.env.PXP_EXTENSION_TEST_GREP || undefined,
  });
  // An untrusted window runs only the untrusted suite; a trusted one everything else.
  const untrusted = process.env.PXP_EXTENSION_TEST_MODE === 'untrusted';
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js') && f.startsWith('untrusted') === untrusted);
  for (const f of files.sort()) mocha.addFile(path.join(__dirname, f));
  const failures: { title: string; error: string }[] = [];
  const lines: string[] = [];
  await new Promise<void>((resolve) => {
    try {
      const runner = mocha.run(() => resolve());
      runner.on('pass', (t) => lines.push(`  ✔ ${t.fullTitle()} (${t.duration ?? 0} ms)`));
      runner.on('fail', (t, err: Error) => {
        lines.push(`  ✘ ${t.fullTitle()}: ${err.message}`);
        failures.push({ title: t.fullTitle(), error: `${err.message}\n${err.stack ?? ''}` });
      });
      runner.on('end', () => {
        const s = runner.stats!;
        fs.writeFileSync(
          resultFile,
          JSON.stringify({ passed: s.passes, failed: s.failures, pending: s.pending, failures, lines }),
        );
      });
    } catch (e) {
      fs.writeFileSync(
        resultFile,
        JSON.stringify({
          passed: 0,
          failed: 1,
          pending: 0,
          failures: [{ title: 'loading the tests', error: String((e as Error).stack ?? e) }],
          lines,
        }),
      );
      resolve();
    }
  });
}
