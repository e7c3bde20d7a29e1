import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pxp } from '../helpers/pxp';
import { REPO, tempDir } from '../helpers/tmp';

const DEMO = path.join(REPO, 'examples', 'fashion-mnist');
const VIT = path.join(REPO, 'examples', 'fashion-mnist-vit', 'model', 'model.json');
const CNN = path.join(DEMO, 'model', 'model.json');
const data = ['--reference', path.join(DEMO, 'reference'), '--eval', path.join(DEMO, 'test'), '--eval-limit', '300'];

describe('pxp on the example vision transformer', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  it('attribute reports heads and first-MLP neurons in components.json, nothing else', () => {
    const out = path.join(tmp.dir, 'rel');
    const r = pxp([
      'attribute',
      '--model',
      VIT,
      '--inputs',
      path.join(DEMO, 'reference', 'x.npy'),
      '--composite',
      'epsilon-plus-flat',
      '--heatmaps',
      '0',
      '--out',
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const c = JSON.parse(fs.readFileSync(path.join(out, 'components.json'), 'utf8'));
    const blocks = [1, 2, 3, 4];
    assert.deepEqual(
      c.layers.map((l: { name: string; kind: string; relevance: number[][] }) => [
        l.name,
        l.kind,
        l.relevance.length,
        l.relevance[0].length,
      ]),
      blocks.flatMap((b) => [
        [`block${b}_attn`, 'head', 100, 4],
        [`block${b}_mlp1`, 'neuron', 100, 128],
      ]),
    );
  });

  it('prune --components neurons with --rate: the pruned ViT matches the masked one and is smaller', () => {
    const out = path.join(tmp.dir, 'run');
    const r = pxp([
      'prune',
      '--model',
      VIT,
      ...data,
      '--criterion',
      'weight',
      '--components',
      'neurons',
      '--rates',
      '0,0.5',
      '--rate',
      '0.5',
      '--out',
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const run = JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8'));
    assert.deepEqual(run.components, ['neuron']);
    assert.equal(run.physical.prunedAccuracy, run.physical.maskedAccuracy);
    assert.ok(run.physical.params.pruned < run.physical.params.original);
    assert.ok(run.physical.latencyMs.original > 0 && run.physical.latencyMs.pruned > 0);
  });

  it('bad --components and bad attention composites are errors that say what to do', () => {
    const bad = pxp(['prune', '--model', VIT, ...data, '--components', 'layers', '--out', path.join(tmp.dir, 'a')]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /heads, neurons, both/);
    const cnn = pxp(['prune', '--model', CNN, ...data, '--components', 'heads', '--out', path.join(tmp.dir, 'b')]);
    assert.equal(cnn.code, 2);
    assert.match(cnn.stderr, /no attention heads/);
    const file = path.join(tmp.dir, 'c.json');
    fs.writeFileSync(file, JSON.stringify({ attention: { softmax: 'softmax-plus' } }));
    const comp = pxp([
      'attribute',
      '--model',
      VIT,
      '--inputs',
      path.join(DEMO, 'reference', 'x.npy'),
      '--composite',
      file,
      '--out',
      path.join(tmp.dir, 'd'),
    ]);
    assert.equal(comp.code, 2);
    assert.match(comp.stderr, /attention\.softmax: unknown softmax rule 'softmax-plus'/);
  });
});
