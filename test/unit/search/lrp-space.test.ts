import assert from 'node:assert/strict';
import path from 'node:path';
import { PxpError } from '../../../src/core/errors';
import { type Graph, graphFromModel } from '../../../src/core/graph/graph';
import { loadModel } from '../../../src/core/io/model-files';
import { attribute } from '../../../src/core/lrp/attribute';
import { buildResNet } from '../../../src/core/models/resnet';
import { buildVit } from '../../../src/core/models/vit';
import { catalogue, chooseComponents } from '../../../src/core/prune/catalogue';
import { searchGroups, searchLayers } from '../../../src/core/search/layer-groups';
import { customizeSpace, lrpSearchSpace, paramsToComposite, relevanceKey } from '../../../src/core/search/lrp-space';
import { activeParams } from '../../../src/core/search/space';
import { useDefaultBackend } from '../../helpers/backend';
import { tinyResNet, tinyVgg } from '../../helpers/models';
import { REPO } from '../../helpers/tmp';

const model = (graph: Graph, components?: string) => ({
  graph,
  components: chooseComponents(catalogue(graph), components),
});

describe('the attribution search space of the demo model (method.md §4)', () => {
  let graph: Graph;
  before(async () => {
    await useDefaultBackend();
    graph = graphFromModel(await loadModel(path.join(REPO, 'examples', 'fashion-mnist', 'model', 'model.json')));
  });

  it('groups the six convs into thirds by depth and the dense layers into fc, every group searched', () => {
    const g = searchGroups(model(graph));
    assert.deepEqual(g.groups, {
      low: ['block1_conv1', 'block1_conv2'],
      mid: ['block2_conv1', 'block2_conv2'],
      high: ['block3_conv1', 'block3_conv2'],
      fc: ['fc1', 'classifier'],
    });
    assert.deepEqual(g.inert, []);
    assert.equal(g.softmax, 'none');
  });

  it('has a rule per group with conditional parameters, the initial relevance and the ranking switches, and no first-layer rule', () => {
    const space = lrpSearchSpace(searchGroups(model(graph)));
    const names = space.map((p) => p.name);
    for (const g of ['low', 'mid', 'high', 'fc'])
      for (const n of ['rule', 'epsilon', 'gamma', 'alpha']) assert.ok(names.includes(`${g}.${n}`), `${g}.${n}`);
    assert.ok(['init', 'abs_sort', 'least_relevant_first'].every((n) => names.includes(n)));
    assert.ok(!names.includes('first.rule'), 'the first layer’s rule changes no component score');
    const init = space.find((p) => p.name === 'init')!;
    assert.deepEqual(init.kind === 'categorical' && init.choices, ['one-hot', 'logit']);
    const eps = space.find((p) => p.name === 'mid.epsilon')!;
    assert.deepEqual([eps.kind === 'float' && eps.log, eps.kind === 'float' && [eps.low, eps.high]], [true, [1e-6, 1]]);
    const gamma = space.find((p) => p.name === 'mid.gamma')!;
    assert.deepEqual(gamma.kind === 'float' && [gamma.low, gamma.high, gamma.log], [1e-3, 10, true]);
    const alpha = space.find((p) => p.name === 'mid.alpha')!;
    assert.deepEqual(alpha.kind === 'float' && [alpha.low, alpha.high], [1, 3]);
    const point = {
      'low.rule': 'gamma',
      'low.gamma': 0.5,
      'mid.rule': 'z-plus',
      'high.rule': 'alpha-beta',
      'high.alpha': 2.5,
      'fc.rule': 'epsilon',
      'fc.epsilon': 1e-3,
      init: 'logit',
      abs_sort: 'true',
      least_relevant_first: 'true',
    };
    assert.deepEqual(
      activeParams(space, point)
        .map((p) => p.name)
        .sort(),
      Object.keys(point).sort(),
      'only the chosen rules bring their parameter',
    );
  });

  it('turns a point into a composite: per-layer rules by group, beta = alpha − 1, and the point’s init and ranking switches', () => {
    const g = searchGroups(model(graph));
    const c = paramsToComposite(
      {
        'low.rule': 'gamma',
        'low.gamma': 0.5,
        'mid.rule': 'z-plus',
        'high.rule': 'alpha-beta',
        'high.alpha': 2.5,
        'fc.rule': 'epsilon',
        'fc.epsilon': 1e-3,
        init: 'logit',
        abs_sort: 'false',
        least_relevant_first: 'true',
      },
      g,
      't',
    );
    assert.deepEqual(c.layers.block1_conv1, { rule: 'gamma', gamma: 0.5 }, 'the first layer follows its group');
    assert.equal(c.first, undefined);
    assert.deepEqual(c.layers.block3_conv2, { rule: 'alpha-beta', alpha: 2.5, beta: 1.5 });
    assert.deepEqual(c.layers.classifier, { rule: 'epsilon', epsilon: 1e-3 });
    assert.deepEqual([c.init, c.absSort, c.leastRelevantFirst], ['logit', false, true]);
    assert.equal(
      relevanceKey({ 'low.rule': 'z-plus', init: 'one-hot', abs_sort: 'true' }),
      relevanceKey({ 'low.rule': 'z-plus', init: 'one-hot', abs_sort: 'false' }),
      'ranking switches share relevance',
    );
    assert.notEqual(
      relevanceKey({ 'low.rule': 'z-plus', init: 'one-hot' }),
      relevanceKey({ 'low.rule': 'z-plus', init: 'logit' }),
      'the initial relevance changes it',
    );
  });

  it('refuses --space files with an unknown rule, an empty range or the retired first-layer rule, naming the field', () => {
    const names = searchLayers(graph).map((l) => l.name);
    const bad = (json: unknown, pattern: RegExp) =>
      assert.throws(
        () => customizeSpace(json, 'space.json', model(graph), names),
        (e: PxpError) => e.code === 'bad-input' && pattern.test(e.message + ' ' + e.hint),
      );
    bad({ params: { 'low.rule': { choices: ['epsilom'] } } }, /space\.json: params\.low\.rule\.choices/);
    bad({ params: { 'low.gamma': { low: 2, high: 1 } } }, /space\.json: params\.low\.gamma: bounds \[2, 1\]/);
    bad({ params: { 'low.epsilon': { low: 0, high: 1 } } }, /params\.low\.epsilon/);
    bad({ params: { 'top.rule': { choices: ['epsilon'] } } }, /params\.top\.rule: no such parameter/);
    bad(
      { params: { 'first.rule': { choices: ['flat'] } } },
      /params\.first\.rule: no such parameter.*no longer searched/,
    );
    bad({ grups: {} }, /grups: unknown key/);
  });
});

describe('groups that follow the network', () => {
  before(useDefaultBackend);

  it('a residual network: whole stages (the blocks between downsamplings), never a residual block split', () => {
    const net = buildResNet({ inputShape: [8, 8, 1], numClasses: 3, widths: [4, 6, 8], blocksPerStage: 2 });
    const g = searchGroups(model(graphFromModel(net)));
    const block = (s: number, b: number) => [`s${s}b${b}_1_conv`, `s${s}b${b}_2_conv`];
    assert.deepEqual(g.groups, {
      low: ['stem_conv', ...block(1, 1), ...block(1, 2)],
      mid: [...block(2, 1), 's2b1_proj_conv', ...block(2, 2)],
      high: [...block(3, 1), 's3b1_proj_conv', ...block(3, 2)],
      fc: ['classifier'],
    });
    // Thirds of the 15 convs would have split blocks (s1b2 | s2b1, s2b2 | s3b1): stages never do.
    for (const names of Object.values(g.groups)) {
      for (const n of names.filter((x) => /^s\d+b\d+_/.test(x))) {
        const blockOf = n.split('_')[0];
        assert.ok(
          Object.values(g.groups).filter((ns) => ns.some((m) => m.startsWith(`${blockOf}_`))).length === 1,
          `${blockOf} in one group`,
        );
      }
    }
    net.dispose();
  });

  it('a two-stage residual network (the test helper’s) gets low and high', () => {
    const net = tinyResNet(1);
    const g = searchGroups(model(graphFromModel(net)));
    assert.deepEqual(g.groups, {
      low: ['stem_conv', 's1b1_1_conv', 's1b1_2_conv'],
      high: ['s2b1_1_conv', 's2b1_2_conv', 's2b1_proj_conv'],
      fc: ['classifier'],
    });
    net.dispose();
  });

  it('a group with no component before its layers is inert: not searched, and neither are its parameters', () => {
    // Four convs: thirds are [conv1], [conv2, conv3], [conv4]; conv1's rule only changes the input relevance.
    const net = tinyVgg(1);
    const graph = graphFromModel(net);
    const g = searchGroups(model(graph));
    assert.deepEqual(g.groups.low, ['block1_conv1']);
    assert.deepEqual(g.inert, ['low']);
    const names = lrpSearchSpace(g).map((p) => p.name);
    assert.ok(!names.some((n) => n.startsWith('low.')), names.join(', '));
    assert.ok(names.includes('mid.rule'));
    net.dispose();
  });

  it('a vision transformer: thirds of the encoder blocks; the softmax rule searched only where it can change a score', () => {
    const vit = buildVit({ inputShape: [4, 4, 1], numClasses: 3, patch: 2, width: 4, heads: 2, depth: 3, mlp: 6 });
    const graph = graphFromModel(vit);
    const g = searchGroups(model(graph));
    const block = (b: number) => [
      `block${b}_attn/q`,
      `block${b}_attn/k`,
      `block${b}_attn/v`,
      `block${b}_attn/out`,
      `block${b}_mlp1`,
      `block${b}_mlp2`,
    ];
    assert.deepEqual(g.groups, {
      low: ['patch_embed', ...block(1)],
      mid: block(2),
      high: block(3),
      fc: ['classifier'],
    });
    assert.equal(g.softmax, 'searched');
    const softmax = lrpSearchSpace(g).find((p) => p.name === 'softmax.rule');
    assert.deepEqual(softmax && softmax.kind === 'categorical' ? softmax.choices : undefined, [
      'epsilon',
      'z-plus-vbias',
      'z-plus',
      'cp',
    ]);
    const c = paramsToComposite(
      {
        'low.rule': 'z-plus',
        'mid.rule': 'z-plus',
        'high.rule': 'z-plus',
        'fc.rule': 'z-plus',
        'softmax.rule': 'z-plus-vbias',
        init: 'one-hot',
        abs_sort: 'true',
        least_relevant_first: 'true',
      },
      g,
      't',
    );
    assert.deepEqual(c.attention, { softmax: 'z-plus-vbias' });
    assert.notEqual(relevanceKey({ 'softmax.rule': 'cp' }), relevanceKey({ 'softmax.rule': 'epsilon' }));
    vit.dispose();
    // One block, heads only: every head's relevance is read before any softmax rule acts (cp scales them all alike).
    const one = buildVit({ inputShape: [4, 4, 1], numClasses: 3, patch: 2, width: 4, heads: 2, depth: 1, mlp: 6 });
    const oneGroups = searchGroups(model(graphFromModel(one), 'heads'));
    assert.equal(oneGroups.softmax, 'inert');
    assert.ok(!lrpSearchSpace(oneGroups).some((p) => p.name === 'softmax.rule'));
    one.dispose();
  });
});

describe('inert groups really change no component score', () => {
  before(useDefaultBackend);

  it('the first conv’s rule leaves every component’s relevance as it was; a later group’s rule does not', async () => {
    const net = tinyVgg(3);
    const graph = graphFromModel(net);
    const g = searchGroups(model(graph));
    const x = Float32Array.from({ length: 4 * 8 * 8 * 2 }, (_, i) => ((i * 37) % 101) / 101);
    const targets = Int32Array.from([0, 1, 2, 0]);
    const point = { 'mid.rule': 'z-plus', 'high.rule': 'z-plus', 'fc.rule': 'epsilon', 'fc.epsilon': 1e-6 };
    const relevance = async (c: ReturnType<typeof paramsToComposite>) =>
      (await attribute(graph, c, x, [4, 8, 8, 2], { targets, executor: 'tfjs' })).layers.map((l) =>
        l.relevance.map((row) => Array.from(row)),
      );
    const base = paramsToComposite(point, g, 't');
    const before = await relevance(base);
    // The inert low group has no parameter in the space (its layer gets epsilon): give it flat by hand.
    const flat = await relevance({ ...base, layers: { ...base.layers, block1_conv1: { rule: 'flat' } } });
    assert.deepEqual(flat, before, 'flat on the first conv: the same component relevance');
    const midGamma = await relevance(paramsToComposite({ ...point, 'mid.rule': 'gamma', 'mid.gamma': 0.25 }, g, 't'));
    assert.notDeepEqual(midGamma[0], before[0], 'gamma in mid changes the first conv’s components');
    net.dispose();
  });
});
