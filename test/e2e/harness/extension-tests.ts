/**
 * Runs the extension's own mocha tests inside the extension host of a code-server window (testing.md): the page is
 * opened with extensionDevelopmentPath + extensionTestsPath, the tests write their counts to a file (there is no
 * exit code), and the page closes when they settle.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type CodeServerOptions, REPO, startCodeServer } from './code-server';
import { gotoWorkbench, launchBrowser, workbenchUrl } from './workbench';

export interface ExtensionTestResult {
  passed: number;
  failed: number;
  pending: number;
  failures: { title: string; error: string }[];
  /** The tests' own report lines (one per test). */
  lines: string[];
  /** The PXP Studio log channel's file(s), read before the server stops. */
  pxpLog: string;
}

/** Env var that tells the test index (test/vscode/index.ts) where to write its result. */
export const RESULT_ENV = 'PXP_EXTENSION_TEST_RESULT';

export async function runExtensionTests(
  workspace: string,
  opts: CodeServerOptions & { testsPath?: string; timeoutMs?: number; grep?: string } = {},
): Promise<ExtensionTestResult> {
  const resultFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pxp-ext-tests-')), 'result.json');
  const env: Record<string, string> = { ...opts.env, [RESULT_ENV]: resultFile };
  if (opts.grep) env.PXP_EXTENSION_TEST_GREP = opts.grep;
  const server = await startCodeServer(workspace, { ...opts, env });
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await gotoWorkbench(
      page,
      workbenchUrl(server, workspace, { testsPath: opts.testsPath ?? path.join(REPO, 'dist', 'test', 'index.js') }),
    );
    const until = Date.now() + (opts.timeoutMs ?? 15 * 60_000);
    while (!fs.existsSync(resultFile)) {
      if (Date.now() > until)
        throw new Error(
          `extension tests wrote no result within ${opts.timeoutMs ?? 900_000} ms; host log:\n${server.readLogs(/exthost|remoteexthost/i).slice(-4000)}`,
        );
      await new Promise((r) => setTimeout(r, 500));
    }
    const result = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as ExtensionTestResult;
    result.pxpLog = server.readLogs(/PXP Studio/);
    return result;
  } finally {
    await browser.close();
    await server.stop();
    fs.rmSync(path.dirname(resultFile), { recursive: true, force: true });
  }
}
