/** Buttons that ask the host to open a file of the run folder (only names the protocol allows), or another panel. */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import type { RunFileName } from '../../src/protocol/webview';
import { el } from './dom';
import { post } from './host';

export function openFileButton(file: RunFileName, label: string): HTMLElement {
  const b = el('vscode-button', { secondary: true, title: `open ${file}` }, label);
  b.addEventListener('click', () => post({ type: 'openRunFile', file }));
  return b;
}

/** Opens the relevance panel on the same run (relevance.json). */
export function openRelevanceButton(label: string): HTMLElement {
  const b = el('vscode-button', { secondary: true, title: 'component scores of this run, layer by layer' }, label);
  b.addEventListener('click', () => post({ type: 'openRelevance' }));
  return b;
}
