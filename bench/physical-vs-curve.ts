/**
 * How far the physically removable set is from the pruning curve's set, rate by rate (issue 17 item 2). For each
 * rate of the grid: the curve's accuracy (its removal set masked), and for each way of turning the curve's set into
 * whole dependency groups (core/prune/physical-plan.ts: a group goes when all, any or most of its members are in the
 * set) the components removed, how many differ from the curve's set and the accuracy of that plan (masked, which
 * equals the pruned model's). `groups-ranked` is the plan before issue 17: groups ranked by their summed scores.
 *
 *   npx tsx bench/physical-vs-curve.ts MODEL REFERENCE EVAL CRITERION [MAX_RATE]
 *   npx tsx bench/physical-vs-curve.ts examples/fashion-mnist-torch/model.onnx examples/fashion-mnist-torch/reference \
 *       examples/fashion-mnist-torch/test lrp:epsilon-alpha2-beta1-flat 0.3
 */
import { initBackend } from '../src/core/backend/select';
import { componentScores } from '../src/core/criteria/criteria';
import { catalogue, chooseComponents } from '../src/core/prune/catalogue';
import { dependencyGroups } from '../src/core/prune/groups';
import { maskedEvaluator, nodeShapes } from '../src/core/prune/masked-eval';
import { remainingCost } from '../src/core/prune/remaining-cost';
import { type GroupPolicy, physicalPlan } from '../src/core/prune/physical-plan';
import { curveRates, rankComponents, removalCountAt, removedSet } from '../src/core/prune/ranking';
import { openModel } from '../src/cli/inputs';
import { loadTaskData } from '../src/cli/task-data';

/** The plan before issue 17: whole groups ranked by their summed scores, up to floor(rate·N), no layer emptied. */
function groupsRanked(
  graph: Parameters<typeof dependencyGroups>[0],
  layers: Parameters<typeof dependencyGroups>[1],
  scores: Float64Array[],
  rate: number,
): boolean[][] {
  const groups = dependencyGroups(graph, layers)
    .filter((g) => g.removable)
    .map((g) => ({ ...g, score: g.members.reduce((a, m) => a + scores[m.layer][m.index], 0), first: g.members[0] }));
  groups.sort((a, b) => a.score - b.score || a.first.layer - b.first.layer || a.first.index - b.first.index);
  const target = Math.floor(rate * layers.reduce((a, l) => a + l.size, 0) + 1e-9);
  const removed = layers.map((l) => new Array<boolean>(l.size).fill(false));
  const left = layers.map((l) => l.size);
  let count = 0;
  for (const g of groups) {
    if (count + g.members.length > target) continue;
    const per = new Map<number, number>();
    g.members.forEach((m) => per.set(m.layer, (per.get(m.layer) ?? 0) + 1));
    if ([...per].some(([l, n]) => left[l] - n < 1)) continue;
    for (const m of g.members) removed[m.layer][m.index] = true;
    per.forEach((n, l) => (left[l] -= n));
    count += g.members.length;
  }
  return removed;
}

const count = (flags: boolean[][]) => flags.reduce((a, f) => a + f.filter(Boolean).length, 0);
const differ = (a: boolean[][], b: boolean[][]) =>
  a.reduce((n, f, l) => n + f.filter((x, i) => x !== b[l][i]).length, 0);

async function main(): Promise<void> {
  const [model, reference, evaluation, criterion, maxRateText] = process.argv.slice(2);
  if (!criterion)
    throw new Error('usage: npx tsx bench/physical-vs-curve.ts MODEL REFERENCE EVAL CRITERION [MAX_RATE]');
  const maxRate = Number(maxRateText ?? 0.5);
  await initBackend('auto');
  const opened = await openModel(model);
  const graph = opened.graph();
  const task = loadTaskData({ reference, eval: evaluation }, opened, 0, '');
  const layers = chooseComponents(catalogue(graph), undefined);
  const { scores } = await componentScores(criterion, { graph, layers, reference: task.reference, seed: 0 });
  const evaluator = await maskedEvaluator(graph, layers, task.evaluation, {});
  const groups = dependencyGroups(graph, layers);
  console.log(
    `${model}: ${layers.reduce((a, l) => a + l.size, 0)} components, ${groups.length} groups (${groups.filter((g) => g.members.length > 1).length} with several members), ${criterion}, ${task.evaluation.y.length} evaluation samples`,
  );
  const ranking = rankComponents(scores.map((s) => ({ scores: s })));
  const policies: GroupPolicy[] = ['all', 'depthwise-output', 'any'];
  const shapes = nodeShapes(graph, opened.summary.inputShape);
  const params = (removed: boolean[][]) =>
    `${(remainingCost(graph, shapes, layers, removed).params / 1000).toFixed(0)}k`;
  console.log(
    [
      'rate',
      'curve n',
      'curve acc',
      ...policies.flatMap((p) => [`${p} n`, `${p} ≠`, `${p} acc`, `${p} params`]),
      'ranked n',
      'ranked ≠',
      'ranked acc',
      'ranked params',
    ].join('\t'),
  );
  for (const rate of curveRates().filter((r) => r > 0 && r <= maxRate + 1e-9)) {
    const curve = removedSet(
      ranking,
      removalCountAt(rate, ranking.length),
      layers.map((l) => l.size),
    );
    const cells = [rate.toFixed(2), String(count(curve)), (100 * (await evaluator.accuracy(curve))).toFixed(1)];
    for (const policy of policies) {
      const plan = physicalPlan(graph, layers, scores, rate, { policy });
      cells.push(
        String(plan.removedCount),
        String(differ(plan.removed, curve)),
        (100 * (await evaluator.accuracy(plan.removed))).toFixed(1),
        params(plan.removed),
      );
    }
    const old = groupsRanked(graph, layers, scores, rate);
    cells.push(
      String(count(old)),
      String(differ(old, curve)),
      (100 * (await evaluator.accuracy(old))).toFixed(1),
      params(old),
    );
    console.log(cells.join('\t'));
  }
  await evaluator.dispose();
  opened.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
