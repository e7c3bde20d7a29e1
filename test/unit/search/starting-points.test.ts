import assert from 'node:assert/strict';
import path from 'node:path';
import { type Graph, graphFromModel } from '../../../src/core/graph/graph';
import { loadModel } from '../../../src/core/io/model-files';
import { buildVit } from '../../../src/core/models/vit';
import { catalogue, chooseComponents } from '../../../src/core/prune/catalogue';
import { searchGroups, searchLayers } from '../../../src/core/search/layer-groups';
import { customizeSpace, lrpSearchSpace } from '../../../src/core/search/lrp-space';
import { RandomSampler } from '../../../src/core/search/random-sampler';
import type { Params, Trial } from '../../../src/core/search/space';
import { StartingSampler, startingPoints } from '../../../src/core/search/starting-points';
import { useDefaultBackend } from '../../helpers/backend';
import { REPO } from '../../helpers/tmp';

const everyGroup = (rule: Params) =>
  Object.fromEntries(['low', 'mid', 'high'].flatMap((g) => Object.entries(rule).map(([k, v]) => [`${g}.${k}`, v])));
const ranking = { abs_sort: 'true', least_relevant_first: 'true' };
const fcEpsilon = { 'fc.rule': 'epsilon', 'fc.epsilon': 1e-6 };

describe('the starting points of a search (enqueued trials)', () => {
  let graph: Graph;
  before(async () => {
    await useDefaultBackend();
    graph = graphFromModel(await loadModel(path.join(REPO, 'examples', 'fashion-mnist', 'model', 'model.json')));
  });
  const model = () => ({ graph, components: catalogue(graph) });

  it('are the presets as points of the space, a preset and its -flat variant merged, then the fixed epsilon points', () => {
    const groups = searchGroups(model());
    const { points, notes } = startingPoints(lrpSearchSpace(groups), groups, searchLayers(graph));
    assert.deepEqual(
      points.map((p) => p.name),
      ['epsilon-plus', 'epsilon-alpha2-beta1', 'epsilon-gamma-box', 'all-epsilon', 'all-epsilon-logit'],
    );
    // The presets' dense layers use epsilon 1e-6 (method.md §2); conv layers their conv rule.
    assert.deepEqual(points[0].params, {
      ...everyGroup({ rule: 'z-plus' }),
      ...fcEpsilon,
      init: 'one-hot',
      ...ranking,
    });
    assert.deepEqual(points[1].params, {
      ...everyGroup({ rule: 'alpha-beta', alpha: 2 }),
      ...fcEpsilon,
      init: 'one-hot',
      ...ranking,
    });
    assert.deepEqual(points[2].params, {
      ...everyGroup({ rule: 'gamma', gamma: 0.25 }),
      ...fcEpsilon,
      init: 'one-hot',
      ...ranking,
    });
    assert.deepEqual(points[3].params, {
      ...everyGroup({ rule: 'epsilon', epsilon: 1e-6 }),
      ...fcEpsilon,
      init: 'one-hot',
      ...ranking,
    });
    assert.deepEqual(points[4].params, { ...points[3].params, init: 'logit' });
    assert.deepEqual(notes, [
      'epsilon-plus-flat: the same point as epsilon-plus in this space',
      'epsilon-alpha2-beta1-flat: the same point as epsilon-alpha2-beta1 in this space',
    ]);
  });

  it('respect a narrowed space: a point it cannot express is skipped, a number outside its bounds projected, and both said', () => {
    const names = searchLayers(graph).map((l) => l.name);
    const { groups, space } = customizeSpace(
      {
        params: {
          'low.rule': { choices: ['epsilon', 'z-plus'] },
          'low.epsilon': { low: 1e-3, high: 1 },
          init: { choices: ['one-hot'] },
        },
      },
      's.json',
      model(),
      names,
    );
    const { points, notes } = startingPoints(space, groups, searchLayers(graph));
    assert.deepEqual(
      points.map((p) => p.name),
      ['epsilon-plus', 'all-epsilon'],
    );
    assert.equal(points[1].params['low.epsilon'], 1e-3);
    assert.equal(points[1].params['mid.epsilon'], 1e-6);
    assert.ok(
      notes.includes('epsilon-alpha2-beta1: skipped (the space allows no low.rule = alpha-beta)'),
      notes.join('\n'),
    );
    assert.ok(notes.includes('all-epsilon: projected onto the space (low.epsilon 0.000001 → 0.001)'), notes.join('\n'));
    assert.ok(notes.includes('all-epsilon-logit: skipped (the space allows no init = logit)'), notes.join('\n'));
  });

  it('on a vision transformer every preset is one point (no conv layer), with the default softmax rule', () => {
    const vit = buildVit({ inputShape: [4, 4, 1], numClasses: 3, patch: 2, width: 4, heads: 2, depth: 3, mlp: 6 });
    const g = graphFromModel(vit);
    const groups = searchGroups({ graph: g, components: chooseComponents(catalogue(g), 'heads') });
    const { points } = startingPoints(lrpSearchSpace(groups), groups, searchLayers(g));
    assert.deepEqual(
      points.map((p) => p.name),
      ['epsilon-plus', 'all-epsilon-logit'],
    );
    assert.equal(points[0].params['softmax.rule'], 'cp');
    assert.equal(points[0].params['low.rule'], 'epsilon');
    vit.dispose();
  });

  it('are the first trials, in order, then the inner sampler takes over with trial numbers unchanged', () => {
    const groups = searchGroups(model());
    const space = lrpSearchSpace(groups);
    const { points } = startingPoints(space, groups, searchLayers(graph));
    const random = new RandomSampler(space, { seed: 4 });
    const sampler = new StartingSampler(points, random);
    const history: Trial[] = [];
    for (let n = 0; n < points.length + 3; n++)
      history.push({ number: n, params: sampler.suggest(history), value: 0.1 * n });
    assert.deepEqual(
      history.slice(0, points.length).map((t) => t.params),
      points.map((p) => p.params),
    );
    assert.deepEqual(
      history.slice(points.length).map((t) => t.params),
      [5, 6, 7].map((n) => random.suggest(history.slice(0, n))),
    );
    assert.deepEqual(
      [0, 4, 5].map((n) => sampler.nameOf(n)),
      ['epsilon-plus', 'all-epsilon-logit', undefined],
    );
  });
});
