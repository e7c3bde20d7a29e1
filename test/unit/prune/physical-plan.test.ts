import assert from 'node:assert/strict';
import { graphFromModel } from '../../../src/core/graph/graph';
import { catalogue } from '../../../src/core/prune/catalogue';
import { dependencyGroups } from '../../../src/core/prune/groups';
import { physicalPlan, roundingUnits } from '../../../src/core/prune/physical-plan';
import { mulberry32 } from '../../../src/core/random';
import { useDefaultBackend } from '../../helpers/backend';
import { buildVgg } from '../../../src/core/models/vgg';
import { randomizeWeights, tinyResNet, tinyVgg } from '../../helpers/models';

/** method.md §5 with plain loops: sort (±score, layer, index), skip each layer's highest score (last ranked on ties). */
function curveSetByHand(scores: Float64Array[], rate: number, leastFirst = true): boolean[][] {
  const all: [number, number, number][] = [];
  scores.forEach((s, l) => s.forEach((v, i) => all.push([leastFirst ? v : -v, l, i])));
  all.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
  const best = new Map<number, number>();
  all.forEach(([, l, i], pos) => {
    if (!best.has(l) || scores[l][i] >= scores[l][all[best.get(l)!][2]]) best.set(l, pos);
  });
  const protectedPos = new Set(best.values());
  const removed = scores.map((s) => new Array<boolean>(s.length).fill(false));
  const n = Math.floor(rate * all.length + 1e-9);
  for (let pos = 0; pos < n; pos++) if (!protectedPos.has(pos)) removed[all[pos][1]][all[pos][2]] = true;
  return removed;
}

const countOf = (flags: boolean[][]) => flags.reduce((a, f) => a + f.filter(Boolean).length, 0);

describe("physical plan: the curve's point, made of whole groups", () => {
  before(useDefaultBackend);

  it("without multi-member groups (VGG-style) it is the curve's removal set exactly, in either ranking order", () => {
    const g = graphFromModel(tinyVgg(2));
    const layers = catalogue(g);
    const rng = mulberry32(5);
    const scores = layers.map((l) => Float64Array.from({ length: l.size }, () => rng()));
    for (const rate of [0.15, 0.3, 0.5, 0.8])
      for (const leastRelevantFirst of [true, false]) {
        const plan = physicalPlan(g, layers, scores, rate, { leastRelevantFirst });
        const want = curveSetByHand(scores, rate, leastRelevantFirst);
        assert.deepEqual(plan.removed, want, `rate ${rate}, least first ${leastRelevantFirst}`);
        assert.equal(plan.removedCount, countOf(want));
        assert.equal(plan.curveRemoved, countOf(want));
        assert.deepEqual(plan.differences, []);
      }
  });

  it('with residual groups (ResNet-style) it removes only groups the curve removes whole, and counts what it kept', () => {
    const g = graphFromModel(tinyResNet(3));
    const layers = catalogue(g);
    const groups = dependencyGroups(g, layers);
    assert.ok(
      groups.some((x) => x.members.length > 1),
      'the model has residual groups',
    );
    const rng = mulberry32(8);
    const scores = layers.map((l) => Float64Array.from({ length: l.size }, () => rng()));
    let differed = 0;
    for (const rate of [0.3, 0.5, 0.7]) {
      const plan = physicalPlan(g, layers, scores, rate);
      const curve = curveSetByHand(scores, rate);
      assert.equal(plan.curveRemoved, countOf(curve));
      // Plain loops over the groups: a removable group goes iff every member is in the curve's set (no layer empties:
      // the curve keeps each layer's best component, so a group wholly in the set never holds one).
      const want = layers.map((l) => new Array<boolean>(l.size).fill(false));
      let kept = 0;
      for (const grp of groups) {
        const inCurve = grp.members.filter((m) => curve[m.layer][m.index]).length;
        if (grp.removable && inCurve === grp.members.length) for (const m of grp.members) want[m.layer][m.index] = true;
        else kept += inCurve;
      }
      assert.deepEqual(plan.removed, want, `rate ${rate}`);
      assert.equal(plan.removedCount, plan.curveRemoved - kept);
      assert.equal(
        plan.differences.reduce((a, d) => a + d.kept, 0),
        kept,
      );
      assert.ok(
        plan.differences.every((d) => d.added === 0),
        'the default policy never removes what the curve kept',
      );
      differed += kept;
    }
    assert.ok(differed > 0, 'random scores split some residual group');
  });

  it('--round-to gives components back as a difference of its own, counted', () => {
    const g = graphFromModel(tinyVgg(2));
    const layers = catalogue(g);
    const rng = mulberry32(5);
    const scores = layers.map((l) => Float64Array.from({ length: l.size }, () => rng()));
    const plain = physicalPlan(g, layers, scores, 0.6);
    const rounded = physicalPlan(g, layers, scores, 0.6, { roundTo: 4 });
    const back = plain.removedCount - rounded.removedCount;
    assert.ok(back > 0, 'rounding gave something back');
    assert.deepEqual(
      rounded.differences.map((d) => [d.cause, d.kept]),
      [['rounding', back]],
    );
    layers.forEach((l, i) => {
      const kept = rounded.removed[i].filter((r) => !r).length;
      assert.ok(kept % 4 === 0 || kept === l.size, `${l.name} keeps ${kept}`);
    });
  });

  it("--round-to auto: an ONNX model's layers of a multiple of 16 (64 or more) keep a multiple of 16, the others are free", () => {
    const model = buildVgg({
      inputShape: [8, 8, 2],
      numClasses: 3,
      widths: [64, 6],
      convsPerBlock: 1,
      hidden: 32,
      dropout: 0,
      seed: 3,
    });
    const g = graphFromModel(randomizeWeights(model, 3));
    const layers = catalogue(g);
    const sizes = layers.map((l) => l.size);
    assert.ok(sizes.some((n) => n % 16 === 0) && sizes.some((n) => n % 16 !== 0), `sizes ${sizes} have both kinds`);
    // 64 channels: blocks of 16; 32 (a multiple of 16, but under 4 blocks) and 6: free.
    assert.deepEqual(
      sizes.filter((n) => n % 16 === 0),
      [64, 32],
    );
    assert.deepEqual(
      roundingUnits(layers, 'auto', 'onnx'),
      sizes.map((n) => (n === 64 ? 16 : 1)),
    );
    assert.deepEqual(
      roundingUnits(layers, 'auto', 'tfjs'),
      sizes.map(() => 1),
    );
    assert.deepEqual(
      roundingUnits(layers, 4, 'onnx'),
      sizes.map(() => 4),
    );
    const rng = mulberry32(7);
    const scores = layers.map((l) => Float64Array.from({ length: l.size }, () => rng()));
    const units = roundingUnits(layers, 'auto', 'onnx');
    const plain = physicalPlan(g, layers, scores, 0.6);
    const rounded = physicalPlan(g, layers, scores, 0.6, { roundTo: units });
    layers.forEach((l, i) => {
      const kept = rounded.removed[i].filter((r) => !r).length;
      if (units[i] === 16) assert.ok(kept % 16 === 0 || kept === l.size, `${l.name} keeps ${kept}`);
      // A free layer keeps exactly what the plain plan keeps (plain CNN: no groups join layers).
      else assert.deepEqual(rounded.removed[i], plain.removed[i], l.name);
    });
    assert.ok(plain.removedCount > rounded.removedCount, 'rounding gave something back');
  });

  it('refuses a rate outside [0, 1)', () => {
    const g = graphFromModel(tinyVgg(1));
    const layers = catalogue(g);
    assert.throws(
      () =>
        physicalPlan(
          g,
          layers,
          layers.map((l) => new Float64Array(l.size)),
          1,
        ),
      /--rate 1 is not in \[0, 1\)/,
    );
  });
});
