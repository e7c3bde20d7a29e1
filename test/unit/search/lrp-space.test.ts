import assert from 'node:assert/strict';
import path from 'node:path';
import { PxpError } from '../../../src/core/errors';
import { graphFromModel, isLinear } from '../../../src/core/graph/graph';
import { loadModel } from '../../../src/core/io/model-files';
import { customizeSpace, layerGroups, lrpSearchSpace, paramsToComposite, relevanceKey, searchLayers } from '../../../src/core/search/lrp-space';
import { buildVit } from '../../../src/core/models/vit';
import { activeParams } from '../../../src/core/search/space';
import { useDefaultBackend } from '../../helpers/backend';
import { REPO } from '../../helpers/tmp';

describe('the attribution search space of the demo model (method.md §4)', () => {
  let linear: { name: string; kind: 'conv' | 'dense' }[];
  before(async () => {
    await useDefaultBackend();
    const g = graphFromModel(await loadModel(path.join(REPO, 'examples', 'fashion-mnist', 'model', 'model.json')));
    linear = g.nodes.filter((n) => isLinear(n.op)).map((n) => ({ name: n.name, kind: n.op.type === 'dense' ? 'dense' : 'conv' }));
  });

  it('groups the six convs into thirds by depth and the dense layers into fc', () => {
    const g = layerGroups(linear);
    assert.deepEqual(g.groups, {
      low: ['block1_conv1', 'block1_conv2'],
      mid: ['block2_conv1', 'block2_conv2'],
      high: ['block3_conv1', 'block3_conv2'],
      fc: ['fc1', 'classifier'],
    });
    assert.equal(g.first, 'block1_conv1');
  });

  it('has a rule per group with conditional parameters, the first-layer rule and the two ranking switches', () => {
    const space = lrpSearchSpace(layerGroups(linear));
    const names = space.map((p) => p.name);
    for (const g of ['low', 'mid', 'high', 'fc']) for (const n of ['rule', 'epsilon', 'gamma', 'alpha']) assert.ok(names.includes(`${g}.${n}`), `${g}.${n}`);
    assert.ok(['first.rule', 'abs_sort', 'least_relevant_first'].every((n) => names.includes(n)));
    const eps = space.find((p) => p.name === 'mid.epsilon')!;
    assert.deepEqual([eps.kind === 'float' && eps.log, eps.kind === 'float' && [eps.low, eps.high]], [true, [1e-6, 1]]);
    const gamma = space.find((p) => p.name === 'mid.gamma')!;
    assert.deepEqual(gamma.kind === 'float' && [gamma.low, gamma.high, gamma.log], [1e-3, 10, true]);
    const alpha = space.find((p) => p.name === 'mid.alpha')!;
    assert.deepEqual(alpha.kind === 'float' && [alpha.low, alpha.high], [1, 3]);
    const point = { 'low.rule': 'gamma', 'low.gamma': 0.5, 'mid.rule': 'z-plus', 'high.rule': 'alpha-beta', 'high.alpha': 2.5, 'fc.rule': 'epsilon', 'fc.epsilon': 1e-3, 'first.rule': 'z-box', abs_sort: 'true', least_relevant_first: 'true' };
    assert.deepEqual(activeParams(space, point).map((p) => p.name).sort(), Object.keys(point).sort(), 'only the chosen rules bring their parameter');
  });

  it('turns a point into a composite: per-layer rules by group, beta = alpha − 1, the first layer overridden', () => {
    const g = layerGroups(linear);
    const c = paramsToComposite({ 'low.rule': 'gamma', 'low.gamma': 0.5, 'mid.rule': 'z-plus', 'high.rule': 'alpha-beta', 'high.alpha': 2.5, 'fc.rule': 'epsilon', 'fc.epsilon': 1e-3, 'first.rule': 'z-box', abs_sort: 'false', least_relevant_first: 'true' }, g, 't');
    assert.deepEqual(c.layers.block1_conv1, { rule: 'z-box', low: 0, high: 1 });
    assert.deepEqual(c.layers.block1_conv2, { rule: 'gamma', gamma: 0.5 });
    assert.deepEqual(c.layers.block3_conv2, { rule: 'alpha-beta', alpha: 2.5, beta: 1.5 });
    assert.deepEqual(c.layers.classifier, { rule: 'epsilon', epsilon: 1e-3 });
    assert.equal(relevanceKey({ 'low.rule': 'z-plus', abs_sort: 'true' }), relevanceKey({ 'low.rule': 'z-plus', abs_sort: 'false' }), 'ranking switches share relevance');
  });

  it('refuses --space files with an unknown rule or an empty range, naming the field', () => {
    const g = layerGroups(linear);
    const names = linear.map((l) => l.name);
    const bad = (json: unknown, pattern: RegExp) =>
      assert.throws(() => customizeSpace(json, 'space.json', g, names), (e: PxpError) => e.code === 'bad-input' && pattern.test(e.message));
    bad({ params: { 'low.rule': { choices: ['epsilom'] } } }, /space\.json: params\.low\.rule\.choices/);
    bad({ params: { 'low.gamma': { low: 2, high: 1 } } }, /space\.json: params\.low\.gamma: bounds \[2, 1\]/);
    bad({ params: { 'low.epsilon': { low: 0, high: 1 } } }, /params\.low\.epsilon/);
    bad({ params: { 'top.rule': { choices: ['epsilon'] } } }, /params\.top\.rule: no such parameter/);
    bad({ grups: {} }, /grups: unknown key/);
  });
});

describe('the search space of a vision transformer', () => {
  before(useDefaultBackend);

  it('groups thirds of the encoder blocks, the classifier as fc, and searches the softmax rule', () => {
    const model = buildVit({ inputShape: [4, 4, 1], numClasses: 3, patch: 2, width: 4, heads: 2, depth: 3, mlp: 6 });
    const g = layerGroups(searchLayers(graphFromModel(model)));
    const block = (b: number) => [`block${b}_attn/q`, `block${b}_attn/k`, `block${b}_attn/v`, `block${b}_attn/out`, `block${b}_mlp1`, `block${b}_mlp2`];
    assert.deepEqual(g.groups, { low: ['patch_embed', ...block(1)], mid: block(2), high: block(3), fc: ['classifier'] });
    assert.equal(g.first, 'patch_embed');
    const softmax = lrpSearchSpace(g).find((p) => p.name === 'softmax.rule');
    assert.deepEqual(softmax && softmax.kind === 'categorical' ? softmax.choices : undefined, ['epsilon', 'z-plus-vbias', 'z-plus', 'cp']);
    const c = paramsToComposite({ 'low.rule': 'z-plus', 'mid.rule': 'z-plus', 'high.rule': 'z-plus', 'fc.rule': 'z-plus', 'softmax.rule': 'z-plus-vbias', 'first.rule': 'group', abs_sort: 'true', least_relevant_first: 'true' }, g, 't');
    assert.deepEqual(c.attention, { softmax: 'z-plus-vbias' });
    assert.notEqual(relevanceKey({ 'softmax.rule': 'cp' }), relevanceKey({ 'softmax.rule': 'epsilon' }));
    model.dispose();
  });
});
