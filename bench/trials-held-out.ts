// Every trial of a finished `pxp search` run scored on held-out samples too: how well the AUC on the search's own data
// predicts the held-out AUC, and whether the trial the search picked is also the best held out (selection noise).
// Usage: npx tsx bench/trials-held-out.ts RUN HOLDOUT_DIR [REFERENCE_DIR]
//   (REFERENCE_DIR defaults to the reference folder run.json names)
import path from 'node:path';
import { initBackend } from '../src/core/backend/select';
import { graphFromModel } from '../src/core/graph/graph';
import { loadFolder } from '../src/core/io/datasets';
import { loadModel } from '../src/core/io/model-files';
import { catalogue, chooseComponents } from '../src/core/prune/catalogue';
import { maskedEvaluator, nodeShapes } from '../src/core/prune/masked-eval';
import { readJsonObject, readTrials } from '../src/core/run-folder/read';
import { AttributionObjective } from '../src/core/search/attribution-search';
import type { LayerGroups } from '../src/core/search/layer-groups';

const [run, holdoutDir, referenceArg] = process.argv.slice(2);
if (!run || !holdoutDir) throw new Error('usage: npx tsx bench/trials-held-out.ts RUN HOLDOUT_DIR [REFERENCE_DIR]');

(async () => {
  await initBackend('auto');
  const info = readJsonObject(run, 'run.json', 'pass a pxp search run folder');
  const model = await loadModel(info.model as string);
  const graph = graphFromModel(model);
  // Searches from before run.json recorded --components: PXP_COMPONENTS=neurons names them.
  const layers = chooseComponents(catalogue(graph), (info.components as string | null) ?? process.env.PXP_COMPONENTS);
  const reference = loadFolder(referenceArg ?? (info.reference as { source: string }).source.replace(/ \(.*$/, ''));
  const holdout = loadFolder(holdoutDir);
  const evaluator = await maskedEvaluator(graph, layers, holdout);
  const groups: LayerGroups = {
    groups: info.groups as Record<string, string[]>,
    inert: (info.inertGroups as string[]) ?? [],
    softmax: (info.space as { name: string }[]).some((p) => p.name === 'softmax.rule') ? 'searched' : 'none',
  };
  const shapes = nodeShapes(graph, reference.shape.slice(1));
  const objective = new AttributionObjective({ graph, shapes, layers, groups, reference, evaluator });
  const rows = [];
  for (const t of readTrials(run))
    rows.push({
      number: t.number + 1,
      own: t.auc,
      held: (await objective.evaluate(t.params)).auc,
      start: t.enqueued ?? '',
    });
  const picked = rows.reduce((b, r) => (r.own > b.own ? r : b));
  const bestHeld = rows.reduce((b, r) => (r.held > b.held ? r : b));
  for (const r of rows)
    console.log(`#${String(r.number).padStart(2)}  own ${r.own.toFixed(4)}  held out ${r.held.toFixed(4)}  ${r.start}`);
  const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
  const mo = mean(rows.map((r) => r.own));
  const mh = mean(rows.map((r) => r.held));
  const cov = mean(rows.map((r) => (r.own - mo) * (r.held - mh)));
  const sd = (xs: number[], m: number) => Math.sqrt(mean(xs.map((x) => (x - m) ** 2)));
  console.log(
    `correlation own vs held out: ${(
      cov /
      (sd(
        rows.map((r) => r.own),
        mo,
      ) *
        sd(
          rows.map((r) => r.held),
          mh,
        ))
    ).toFixed(3)} over ${rows.length} trials (${path.basename(run)})`,
  );
  console.log(
    `picked #${picked.number} (own ${picked.own.toFixed(4)}, held out ${picked.held.toFixed(4)}); best held out #${bestHeld.number} (${bestHeld.held.toFixed(4)})`,
  );
  await evaluator.dispose();
})();
