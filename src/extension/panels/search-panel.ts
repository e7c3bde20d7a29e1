/**
 * The search panel, live while `pxp search` writes its folder: the host watches the folder (fs.watch, plus a slow
 * poll for file systems without change events), posts trials appended to trials.jsonl as they come, and the whole
 * view again when run.json or comparison.json change (the search finished, the baselines were scored).
 */
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { badInput } from '../../core/errors';
import type { SearchSpace } from '../../core/search/space';
import type { PanelState, SearchView, TrialRow } from '../../protocol/webview';
import { bestSoFar } from '../../shared/run-folder/trials';
import { parseTrialRows, readSearchSnapshot, searchImportance } from '../../views/search-view';
import { type PanelContext, RunPanel } from './run-panel';

const POLL_MS = 2000;
const DEBOUNCE_MS = 150;

export class SearchPanel extends RunPanel {
  private trials: TrialRow[] = [];
  private consumed = 0;
  /** Size of trials.jsonl when last read: the poll reads the file again only when it changed. */
  private trialsSize = -1;
  private space: SearchSpace | undefined;
  private stamps = '';
  private timer: NodeJS.Timeout | undefined;
  private watcher: fs.FSWatcher | undefined;
  /** The folder was removed (a cancelled or failed search leaves nothing): said once, then the panel stays. */
  private gone = false;

  static revive(panel: vscode.WebviewPanel, state: PanelState, ctx: PanelContext): SearchPanel {
    return new SearchPanel(panel, state, ctx);
  }

  private constructor(panel: vscode.WebviewPanel, state: PanelState, ctx: PanelContext) {
    super(panel, state, ctx);
    this.watch();
  }

  private watch(): void {
    const dir = this.state.runDir;
    const poll = setInterval(() => this.changed(), POLL_MS);
    this.disposables.push(
      { dispose: () => clearInterval(poll) },
      { dispose: () => this.watcher?.close() },
      { dispose: () => this.timer && clearTimeout(this.timer) },
    );
    try {
      this.watcher = fs.watch(dir, () => {
        if (this.timer) clearTimeout(this.timer);
        this.timer = setTimeout(() => this.changed(), DEBOUNCE_MS);
      });
    } catch (e) {
      this.ctx.log.warn(
        `search panel: cannot watch ${dir} (${(e as Error).message}); polling every ${POLL_MS / 1000} s`,
      );
    }
  }

  /** Modification times and sizes of the files that make a full refresh. */
  private fileStamps(): string {
    return ['run.json', 'comparison.json']
      .map((f) => {
        try {
          const s = fs.statSync(path.join(this.state.runDir, f));
          return `${s.mtimeMs}:${s.size}`;
        } catch {
          return '-';
        }
      })
      .join('|');
  }

  protected readView(): SearchView {
    // Asked again when the panel is shown: a removed folder must not read as a search waiting for its first trial.
    if (!fs.existsSync(this.state.runDir))
      throw badInput(
        `${this.state.runDir} is gone: the search was cancelled or failed before it wrote a result, so there is nothing to show`,
        'run PXP: Optimize Attribution… again',
      );
    this.stamps = this.fileStamps();
    const snapshot = readSearchSnapshot(this.state.runDir);
    this.trials = snapshot.view.trials;
    this.consumed = snapshot.trialsConsumed;
    this.trialsSize = -1;
    this.space = snapshot.space;
    return snapshot.view;
  }

  private changed(): void {
    if (!fs.existsSync(this.state.runDir)) {
      if (!this.gone) this.refresh();
      this.gone = true;
      return;
    }
    if (this.fileStamps() !== this.stamps) {
      this.refresh();
      return;
    }
    const file = path.join(this.state.runDir, 'trials.jsonl');
    let text: string;
    try {
      const size = fs.statSync(file).size;
      if (size === this.trialsSize) return;
      this.trialsSize = size;
      text = fs.readFileSync(file, 'utf8');
    } catch {
      return;
    }
    // A shorter file was rewritten (pxp search --resume drops a cut-off line): start over.
    if (text.length < this.consumed) {
      this.refresh();
      return;
    }
    const { trials, consumed } = parseTrialRows(text.slice(this.consumed));
    if (trials.length === 0) return;
    this.consumed += consumed;
    this.trials.push(...trials);
    this.post({
      type: 'trialsAppended',
      trials,
      bestSoFar: bestSoFar(this.trials),
      importance: searchImportance(this.space, this.trials),
    });
  }
}
