/**
 * Chromium (Debian's /usr/bin/chromium, driven by playwright-core) on a code-server workbench: open a folder, with
 * the extension under development loaded, and collect console messages and CSP violations for the tests to assert.
 */
import { type Browser, type ConsoleMessage, type Frame, type Page, chromium } from 'playwright-core';
import type { CodeServer } from './code-server';
import { REPO } from './code-server';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Workbench {
  browser: Browser;
  page: Page;
  /** Console messages of the page and its frames (webviews included), as "type: text". */
  console: string[];
  /** Console lines that report a Content-Security-Policy violation. */
  cspViolations(): string[];
  close(): Promise<void>;
}

/** The workbench URL for a folder, with the extension at extensionDir (default: this repo) under development. */
export function workbenchUrl(server: CodeServer, folder: string, opts: { extensionDir?: string; testsPath?: string } = {}): string {
  const remote = (p: string) => `vscode-remote://127.0.0.1:${server.port}${p}`;
  const payload: [string, string][] = [['extensionDevelopmentPath', remote(opts.extensionDir ?? REPO)]];
  if (opts.testsPath) payload.push(['extensionTestsPath', remote(opts.testsPath)]);
  return `${server.url}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.PXP_CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
}

/** Opens the folder and waits for the workbench (8–12 s here); theme 'dark' or 'light' is set through the user settings. */
export async function openWorkbench(server: CodeServer, folder: string, opts: { extensionDir?: string; viewport?: { width: number; height: number } } = {}): Promise<Workbench> {
  const browser = await launchBrowser();
  const page = await browser.newPage({ viewport: opts.viewport ?? { width: 1400, height: 900 } });
  const lines: string[] = [];
  const onConsole = (m: ConsoleMessage) => lines.push(`${m.type()}: ${m.text()}`);
  page.on('console', onConsole);
  page.on('pageerror', (e) => lines.push(`pageerror: ${e.message}`));
  await page.goto(workbenchUrl(server, folder, opts));
  await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  await page.waitForSelector('.statusbar', { timeout: 60_000 });
  return {
    browser,
    page,
    console: lines,
    cspViolations: () => lines.filter((l) => /Content[ -]Security[ -]Policy|violates the following/i.test(l)),
    close: () => browser.close(),
  };
}

/** Runs a command from the palette by its title ("PXP: Show Log"); retries once, as the first try may come before
 *  the extension has registered its commands. */
export async function runCommand(page: Page, title: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+Shift+P');
    const input = page.locator('.quick-input-widget input.input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(`>${title}`);
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    try {
      await row.waitFor({ state: 'visible', timeout: attempt === 0 ? 10_000 : 20_000 });
      await page.keyboard.press('Enter');
      return;
    } catch (e) {
      if (attempt >= 1) throw new Error(`palette: no command '${title}' (${(e as Error).message})`);
      await page.keyboard.press('Escape');
      await page.waitForTimeout(2000);
    }
  }
}

/** Waits for the quick pick / input box, types text (optional) and accepts. */
export async function answerQuickInput(page: Page, text?: string, opts: { pick?: string; timeoutMs?: number } = {}): Promise<void> {
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible', timeout: opts.timeoutMs ?? 15_000 });
  if (text !== undefined) await input.fill(text);
  if (opts.pick) {
    await page.locator('.quick-input-list .monaco-list-row', { hasText: opts.pick }).first().waitFor({ state: 'visible', timeout: opts.timeoutMs ?? 15_000 });
  }
  await page.keyboard.press('Enter');
}

/** Texts of the notifications on screen (toasts and the notification center) and of the screen-reader alerts. */
export async function notificationTexts(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const sel = '.notification-list-item-message, .monaco-alert, .notifications-toasts .notification-toast';
    return Array.from(document.querySelectorAll(sel)).map((e) => (e.textContent ?? '').trim()).filter((t) => t.length > 0);
  });
}

/** Polls until a notification matches (a toast may not render headless, so alerts count too). */
export async function waitForNotification(page: Page, match: RegExp, timeoutMs = 60_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const hit = (await notificationTexts(page)).find((t) => match.test(t));
    if (hit) return hit;
    await page.waitForTimeout(300);
  }
  throw new Error(`no notification matching ${match} within ${timeoutMs} ms; seen: ${JSON.stringify(await notificationTexts(page))}`);
}

/** A webview's inner frame, found by its document title (webviews are nested iframes). */
export async function findFrameByTitle(page: Page, title: string | RegExp, timeoutMs = 30_000): Promise<Frame> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    for (const f of page.frames()) {
      const t = await f.title().catch(() => '');
      if (typeof title === 'string' ? t === title : title.test(t)) return f;
    }
    await page.waitForTimeout(250);
  }
  throw new Error(`no frame titled ${title} within ${timeoutMs} ms`);
}

/** Sets the color theme by running the palette's theme picker. */
export async function setTheme(page: Page, theme: 'Default Dark Modern' | 'Default Light Modern' | string): Promise<void> {
  await runCommand(page, 'Preferences: Color Theme');
  await answerQuickInput(page, theme, { pick: theme });
  await page.waitForTimeout(500);
}
