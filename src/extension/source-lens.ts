/**
 * Results in the Python source of a model from PyTorch: CodeLens above each component module's definition (channels
 * before → after, share of the relevance), a hover with the relevance of each channel, the LRP rule and the removed
 * channels, and (PXP: Show Results in Source) end-of-line notes and gutter marks on pruned modules. Everything comes
 * from the latest run whose source-map.json places modules in the file: the engine computed the map, the host reads.
 */
import * as vscode from 'vscode';
import {
  type SourceFileFigures,
  type SourceModuleFigures,
  describeModule,
  latestSourceFigures,
  moduleHoverMarkdown,
} from './runs/source-figures';
import { listRuns } from './runs/run-summary';

const SELECTOR: vscode.DocumentSelector = [{ language: 'python' }, { pattern: '**/*.py' }];
const SHOWN_KEY = 'pxp.showResultsInSource';
/** More modules than this on one line (a block class built 8 times) share one lens. */
const LENSES_PER_LINE = 3;

export class SourceLens implements vscode.CodeLensProvider, vscode.HoverProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly cache = new Map<string, SourceFileFigures | undefined>();
  private readonly decoration: vscode.TextEditorDecorationType;
  /** The notes last drawn per file (1-based lines): what the decorations say, for the tests. */
  readonly notes = new Map<string, { line: number; text: string }[]>();

  constructor(
    private readonly state: vscode.Memento,
    gutterIcon: vscode.Uri,
  ) {
    this.decoration = vscode.window.createTextEditorDecorationType({
      gutterIconPath: gutterIcon,
      gutterIconSize: 'contain',
      after: { color: new vscode.ThemeColor('editorCodeLens.foreground'), margin: '0 0 0 2em', fontStyle: 'italic' },
    });
  }

  get shown(): boolean {
    return this.state.get<boolean>(SHOWN_KEY, false);
  }

  async toggle(show = !this.shown): Promise<boolean> {
    await this.state.update(SHOWN_KEY, show);
    this.decorate();
    return show;
  }

  /** A run finished or was removed: read the files again. */
  refresh(): void {
    this.cache.clear();
    this.changed.fire();
    this.decorate();
  }

  figures(doc: vscode.TextDocument): SourceFileFigures | undefined {
    const key = doc.uri.fsPath;
    if (this.cache.has(key)) return this.cache.get(key);
    const root =
      vscode.workspace.getWorkspaceFolder(doc.uri)?.uri.fsPath ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const f = root ? latestSourceFigures(doc.uri.fsPath, listRuns(root)) : undefined;
    this.cache.set(key, f);
    return f;
  }

  /** Component modules (those with figures) by 0-based definition line. */
  private byLine(f: SourceFileFigures): Map<number, SourceModuleFigures[]> {
    const out = new Map<number, SourceModuleFigures[]>();
    for (const m of f.modules) {
      if (m.channels === undefined && m.share === undefined) continue;
      const line = m.definitionLine - 1;
      out.set(line, [...(out.get(line) ?? []), m]);
    }
    return out;
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const f = this.figures(doc);
    if (!f) return [];
    const lenses: vscode.CodeLens[] = [];
    for (const [line, modules] of this.byLine(f)) {
      if (line < 0 || line >= doc.lineCount) continue;
      const at = new vscode.Range(line, 0, line, 0);
      const open = { command: 'pxp.openRun', arguments: [f.run.dir] };
      for (const m of modules.slice(0, modules.length > LENSES_PER_LINE ? LENSES_PER_LINE - 1 : LENSES_PER_LINE))
        lenses.push(new vscode.CodeLens(at, { title: describeModule(m), ...open }));
      if (modules.length > LENSES_PER_LINE)
        lenses.push(
          new vscode.CodeLens(at, {
            title: `+${modules.length - LENSES_PER_LINE + 1} more modules built here (hover for each)`,
            ...open,
          }),
        );
    }
    return lenses;
  }

  provideHover(doc: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const f = this.figures(doc);
    const modules = f && this.byLine(f).get(position.line);
    if (!f || !modules) return undefined;
    const md = new vscode.MarkdownString(modules.map((m) => moduleHoverMarkdown(m, f.run.name)).join('\n\n---\n\n'));
    return new vscode.Hover(md, doc.lineAt(position.line).range);
  }

  /** End-of-line notes and gutter marks on the pruned modules of every visible Python editor (when shown). */
  decorate(): void {
    for (const editor of vscode.window.visibleTextEditors) {
      if (!/\.py$/.test(editor.document.uri.fsPath)) continue;
      const f = this.shown ? this.figures(editor.document) : undefined;
      const decorations: vscode.DecorationOptions[] = [];
      for (const [line, modules] of f ? this.byLine(f) : []) {
        const pruned = modules.filter((m) => m.kept !== undefined && m.channels !== undefined && m.kept < m.channels);
        if (pruned.length === 0 || line >= editor.document.lineCount) continue;
        const text = pruned.map((m) => `${m.module} −${m.channels! - m.kept!}`).join(', ');
        decorations.push({
          range: editor.document.lineAt(line).range,
          renderOptions: {
            after: { contentText: `✂ ${pruned.length === 1 ? '' : `${pruned.length} modules: `}${text}` },
          },
        });
      }
      editor.setDecorations(this.decoration, decorations);
      this.notes.set(
        editor.document.uri.fsPath,
        decorations.map((d) => ({ line: d.range.start.line + 1, text: d.renderOptions!.after!.contentText! })),
      );
    }
  }

  dispose(): void {
    this.decoration.dispose();
    this.changed.dispose();
  }
}

export function registerSourceLens(context: vscode.ExtensionContext): {
  lens: SourceLens;
  disposables: vscode.Disposable[];
} {
  const lens = new SourceLens(
    context.workspaceState,
    vscode.Uri.joinPath(context.extensionUri, 'media', 'pruned-gutter.svg'),
  );
  return {
    lens,
    disposables: [
      lens,
      vscode.languages.registerCodeLensProvider(SELECTOR, lens),
      vscode.languages.registerHoverProvider(SELECTOR, lens),
      vscode.commands.registerCommand('pxp.showResultsInSource', (show?: boolean) =>
        lens.toggle(typeof show === 'boolean' ? show : undefined),
      ),
      vscode.window.onDidChangeVisibleTextEditors(() => lens.decorate()),
    ],
  };
}
