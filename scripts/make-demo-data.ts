// Writes the embedded demo's data slice from Debian's Fashion-MNIST (dataset-fashion-mnist):
//   examples/fashion-mnist/reference/{x,y}.npy  10 training images per class (seeded pick), for attribution
//   examples/fashion-mnist/test/{x,y}.npy       the first 1 000 test images, for evaluation
// Usage: npx tsx scripts/make-demo-data.ts [/usr/share/datasets/fashion-mnist]
import path from 'node:path';
import { loadSplit, selectPerClass, subset } from '../src/core/io/datasets';
import { writeNpy } from '../src/core/io/npy';
import type { Dataset } from '../src/core/io/datasets';

const source = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
const out = path.resolve(__dirname, '..', 'examples', 'fashion-mnist');

function save(ds: Dataset, dir: string) {
  writeNpy(path.join(dir, 'x.npy'), { dtype: 'float32', shape: ds.shape, data: ds.x });
  writeNpy(path.join(dir, 'y.npy'), { dtype: 'int32', shape: [ds.y.length], data: ds.y });
  console.log(`${dir}: ${ds.shape.join('×')}`);
}

save(selectPerClass(loadSplit(source, 'train'), 10, 0), path.join(out, 'reference'));
const test = loadSplit(source, 'test');
save(
  subset(
    test,
    Array.from({ length: 1000 }, (_, i) => i),
  ),
  path.join(out, 'test'),
);
