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
export function workbenchUrl(
  server: CodeServer,
  folder: string,
  opts: { extensionDir?: string; testsPath?: string } = {},
): string {
  const remote = (p: string) => `vscode-remote://127.0.0.1:${server.port}${p}`;
  const payload: [string, string][] = [['extensionDevelopmentPath', remote(opts.extensionDir ?? REPO)]];
  if (opts.testsPath) payload.push(['extensionTestsPath', remote(opts.testsPath)]);
  return `${server.url}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.PXP_CHROMIUM ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    headless: true,
  });
}

/** Opens the folder and waits for the workbench (8–12 s here); theme 'dark' or 'light' is set through the user settings. */
export async function openWorkbench(
  server: CodeServer,
  folder: string,
  opts: { extensionDir?: string; viewport?: { width: number; height: number } } = {},
): Promise<Workbench> {
  const browser = await launchBrowser();
  const page = await browser.newPage({ viewport: opts.viewport ?? { width: 1400, height: 900 } });
  const lines: string[] = [];
  const onConsole = (m: ConsoleMessage) => lines.push(`${m.type()}: ${m.text()}`);
  page.on('console', onConsole);
  page.on('pageerror', (e) => lines.push(`pageerror: ${e.message}`));
  await gotoWorkbench(page, workbenchUrl(server, folder, opts));
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

/**
 * Runs a command from the palette by its title ("PXP: Show Log"). Retries: the first try may come before the
 * extension has registered its commands, and a focused webview (an iframe) can keep the shortcut from the workbench
 * or take the focus back, so later tries open the palette from the command center.
 */
export async function runCommand(page: Page, title: string): Promise<void> {
  const input = page.locator('.quick-input-widget input.input');
  for (let attempt = 0; ; attempt++) {
    try {
      await page.keyboard.press('Escape');
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      if (attempt === 0) await page.keyboard.press('Control+Shift+P');
      else await page.locator('.command-center').first().click({ timeout: 5000 });
      await input.waitFor({ state: 'visible', timeout: 5000 });
      await input.fill(`>${title}`, { timeout: 5000 });
      const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
      await row.waitFor({ state: 'visible', timeout: attempt === 0 ? 10_000 : 20_000 });
      // Click the row rather than press Enter: a webview may have taken the keyboard focus back meanwhile.
      await row.click({ timeout: 5000 });
      return;
    } catch (e) {
      if (attempt >= 2) throw new Error(`palette: could not run '${title}' (${(e as Error).message.split('\n')[0]})`);
      await page.waitForTimeout(1500);
    }
  }
}

/**
 * Answers the quick pick or input box that `expect` describes (a regex over its placeholder, title and prompt): waits
 * for that prompt (so an answer never goes to the palette or to the previous prompt still on screen), types text
 * (optional), waits for a row containing `pick` when given, and accepts with Enter.
 */
export async function answerQuickInput(
  page: Page,
  expect: RegExp,
  text?: string,
  opts?: { pick?: string; timeoutMs?: number },
): Promise<void>;
/** The first form: any prompt but the command palette's. */
export async function answerQuickInput(
  page: Page,
  text?: string,
  opts?: { pick?: string; timeoutMs?: number },
): Promise<void>;
export async function answerQuickInput(
  page: Page,
  a?: RegExp | string,
  b?: string | { pick?: string; timeoutMs?: number },
  c: { pick?: string; timeoutMs?: number } = {},
): Promise<void> {
  const expect = a instanceof RegExp ? a : /^(?![\s\S]*Type the name of a command to run)/;
  const text = a instanceof RegExp ? (b as string | undefined) : a;
  const opts = (a instanceof RegExp ? c : (b as typeof c | undefined)) ?? {};
  const timeout = opts.timeoutMs ?? 20_000;
  await page.waitForFunction(
    ({ source, flags }) => {
      const widget = document.querySelector('.quick-input-widget') as HTMLElement | null;
      const input = widget?.querySelector('input.input') as HTMLInputElement | null;
      if (!widget || !input || widget.style.display === 'none' || widget.closest('[inert]') || input.closest('[inert]'))
        return false;
      const described = `${input.placeholder} ${input.getAttribute('aria-label') ?? ''} ${widget.querySelector('.quick-input-title')?.textContent ?? ''} ${widget.querySelector('.quick-input-message')?.textContent ?? ''}`;
      return new RegExp(source, flags).test(described);
    },
    { source: expect.source, flags: expect.flags },
    { timeout },
  );
  const input = page.locator('.quick-input-widget input.input');
  if (text !== undefined) await input.fill(text);
  if (opts.pick) {
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: opts.pick }).first();
    await row.waitFor({ state: 'visible', timeout });
    // The row already focused is taken with Enter: a click can land on whatever slides under the pointer while the
    // workbench lays out (seen once: the editor watermark took it and the prompt closed).
    if (await row.evaluate((e) => e.classList.contains('focused'))) await input.press('Enter');
    else await row.click();
  } else {
    await input.press('Enter');
  }
}

/** Texts of the notifications on screen (toasts and the notification center) and of the screen-reader alerts. */
export async function notificationTexts(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const sel = '.notification-list-item-message, .monaco-alert';
    return Array.from(document.querySelectorAll(sel))
      .map((e) => (e.textContent ?? '').trim())
      .filter((t) => t.length > 0);
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
  throw new Error(
    `no notification matching ${match} within ${timeoutMs} ms; seen: ${JSON.stringify(await notificationTexts(page))}`,
  );
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

/** Sets the color theme from the palette's theme picker: 'Dark Modern', 'Light Modern', 'Dark 2026', 'Light 2026'…
 *  (VS Code 1.139's labels; an older "Default " prefix is dropped). */
export async function setTheme(page: Page, theme: string): Promise<void> {
  const label = theme.replace(/^Default /, '');
  await runCommand(page, 'Preferences: Color Theme');
  await answerQuickInput(page, /color theme/i, label, { pick: label });
  await page.waitForTimeout(500);
}

/** Opens the workbench and fails at once when code-server answers with an error page (a broken install answers 500). */
export async function gotoWorkbench(page: Page, url: string): Promise<void> {
  const response = await page.goto(url);
  if (!response || !response.ok()) {
    const body = response ? (await response.text()).slice(0, 500) : 'no response';
    throw new Error(
      `code-server answered ${response?.status() ?? '—'} for the workbench: ${body} (reinstall: rm -rf ~/.cache/pxp-studio)`,
    );
  }
}
