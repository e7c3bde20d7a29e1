/**
 * Real run folders for the view-model tests, written once per test process by the built CLI on the demo model
 * (examples/fashion-mnist) with small settings: an attribution folder, a prune run with a physically pruned model,
 * a prune run without one, and a short search with two baselines.
 */
import path from 'node:path';
import { pxp } from '../../helpers/pxp';
import { REPO, tempDir } from '../../helpers/tmp';

export const DEMO = path.join(REPO, 'examples', 'fashion-mnist');
export const DEMO_MODEL = path.join(DEMO, 'model', 'model.json');

export interface DemoRuns {
  attribution: string;
  /** stdout of `pxp attribute --json`: the engine's own input relevance sums and output relevance. */
  attributeJson: { relevanceSums: number[]; outputRelevance: number[]; samples: number };
  pruned: string;
  masked: string;
  search: string;
  cleanup: () => void;
}

let runs: DemoRuns | undefined;

function run(args: string[]): ReturnType<typeof pxp> {
  const r = pxp(args);
  if (r.code !== 0) throw new Error(`pxp ${args.join(' ')} failed (${r.code}): ${r.stderr.slice(-2000)}`);
  return r;
}

export function demoRuns(): DemoRuns {
  if (runs) return runs;
  const { dir, cleanup } = tempDir('pxp-views-');
  const data = ['--reference', path.join(DEMO, 'reference'), '--eval', path.join(DEMO, 'test'), '--eval-limit', '200'];
  const attribution = path.join(dir, 'attribution');
  const a = run([
    'attribute',
    '--model',
    DEMO_MODEL,
    '--inputs',
    path.join(DEMO, 'reference', 'x.npy'),
    '--targets',
    path.join(DEMO, 'reference', 'y.npy'),
    '--heatmaps',
    '4',
    '--out',
    attribution,
    '--json',
  ]);
  const pruned = path.join(dir, 'prune-rate');
  run([
    'prune',
    '--model',
    DEMO_MODEL,
    ...data,
    '--criterion',
    'lrp:epsilon-plus-flat',
    '--rates',
    '0,0.25,0.5',
    '--rate',
    '0.25',
    '--out',
    pruned,
  ]);
  const masked = path.join(dir, 'prune-masked');
  run(['prune', '--model', DEMO_MODEL, ...data, '--criterion', 'taylor', '--rates', '0,0.5', '--out', masked]);
  const search = path.join(dir, 'search');
  run([
    'search',
    '--model',
    DEMO_MODEL,
    ...data,
    '--trials',
    '3',
    '--startup-trials',
    '2',
    '--rates',
    '0,0.25,0.5',
    '--baselines',
    'lrp:epsilon-plus-flat,random',
    '--out',
    search,
  ]);
  runs = { attribution, attributeJson: a.json, pruned, masked, search, cleanup };
  return runs;
}

// One set of folders for every view test file; removed when the whole run ends.
after(() => {
  runs?.cleanup();
  runs = undefined;
});
