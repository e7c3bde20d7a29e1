// Data for bench/search-quality.mjs, from Debian's Fashion-MNIST, as npy folders under OUT:
//   reference/  10 training images per class (seeded pick): the attribution of every criterion
//   half-a/     test images 0 … N/2−1: what the search tunes on
//   half-b/     test images N/2 … N−1: held out, every reported AUC
// Usage: npx tsx bench/search-quality-data.ts OUT [N=2000] [/usr/share/datasets/fashion-mnist]
import path from 'node:path';
import { type Dataset, loadSplit, selectPerClass, subset } from '../src/core/io/datasets';
import { writeNpy } from '../src/core/io/npy';

const out = process.argv[2];
const count = Number(process.argv[3] ?? 2000);
const source = process.argv[4] ?? '/usr/share/datasets/fashion-mnist';
if (!out) throw new Error('usage: npx tsx bench/search-quality-data.ts OUT [N] [DATASET]');

function save(ds: Dataset, dir: string) {
  writeNpy(path.join(dir, 'x.npy'), { dtype: 'float32', shape: ds.shape, data: ds.x });
  writeNpy(path.join(dir, 'y.npy'), { dtype: 'int32', shape: [ds.y.length], data: ds.y });
}

const test = loadSplit(source, 'test', { limit: count });
const half = Math.floor(count / 2);
save(selectPerClass(loadSplit(source, 'train'), 10, 0), path.join(out, 'reference'));
save(
  subset(
    test,
    Array.from({ length: half }, (_, i) => i),
  ),
  path.join(out, 'half-a'),
);
save(
  subset(
    test,
    Array.from({ length: count - half }, (_, i) => half + i),
  ),
  path.join(out, 'half-b'),
);
console.log(`wrote ${out}/{reference,half-a,half-b}`);
