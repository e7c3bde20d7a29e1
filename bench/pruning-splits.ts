// Data for bench/pruning-comparison.mjs, from Debian's Fashion-MNIST, as npy folders under OUT:
//   reference/    10 training images per class (seeded pick): attribution for every criterion
//   search-eval/  the first M (default 1 000) images of the validation split (the last 10 % of train): what searches optimise
//   final-eval/   the first N test images: every reported curve (never seen by a search)
// Usage: npx tsx bench/pruning-splits.ts OUT [N=2000] [M=1000] [/usr/share/datasets/fashion-mnist]
import path from 'node:path';
import { type Dataset, loadSplit, selectPerClass } from '../src/core/io/datasets';
import { writeNpy } from '../src/core/io/npy';

const out = process.argv[2];
const finalCount = Number(process.argv[3] ?? 2000);
const searchCount = Number(process.argv[4] ?? 1000);
const source = process.argv[5] ?? '/usr/share/datasets/fashion-mnist';
if (!out) throw new Error('usage: npx tsx bench/pruning-splits.ts OUT [N] [DATASET]');

function save(ds: Dataset, dir: string) {
  writeNpy(path.join(dir, 'x.npy'), { dtype: 'float32', shape: ds.shape, data: ds.x });
  writeNpy(path.join(dir, 'y.npy'), { dtype: 'int32', shape: [ds.y.length], data: ds.y });
}

save(selectPerClass(loadSplit(source, 'train'), 10, 0), path.join(out, 'reference'));
save(loadSplit(source, 'val', { limit: searchCount }), path.join(out, 'search-eval'));
save(loadSplit(source, 'test', { limit: finalCount }), path.join(out, 'final-eval'));
console.log(`wrote ${out}/{reference,search-eval,final-eval}`);
