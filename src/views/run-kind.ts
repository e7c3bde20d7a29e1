/**
 * Which panel shows a folder: an attribution folder (components.json) and a prune run without a physically pruned
 * model open the relevance panel; a prune run with pruned/ opens the architecture diff; a search run the search panel.
 */
import fs from 'node:fs';
import type { PanelKind } from '../protocol/webview';
import { asObject, asString } from '../shared/run-folder/json';
import { hasFile, readJsonObject } from '../core/run-folder/read';

export function panelForRun(dir: string): PanelKind | undefined {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return undefined;
  if (hasFile(dir, 'components.json')) return 'relevance';
  if (hasFile(dir, 'trials.jsonl')) return 'search';
  if (!hasFile(dir, 'run.json')) return undefined;
  const run = readJsonObject(dir, 'run.json', 'open a folder written by pxp prune, pxp search or pxp attribute');
  if (asString(run.command) === 'search') return 'search';
  if (asObject(run.physical) && (hasFile(dir, 'pruned/model.json') || hasFile(dir, 'pruned/model.onnx'))) return 'diff';
  return hasFile(dir, 'relevance.json') ? 'relevance' : undefined;
}
