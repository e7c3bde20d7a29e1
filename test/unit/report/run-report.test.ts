import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { renderRunReport } from '../../../src/core/report/run-report';
import { tempDir } from '../../helpers/tmp';

/** A prune run folder as pxp prune --rate writes it, with the figures given. */
function runFolder(dir: string, physical: Record<string, unknown>, run: Record<string, unknown> = {}): string {
  fs.writeFileSync(
    path.join(dir, 'curve.json'),
    JSON.stringify({
      criterion: 'taylor',
      auc: 0.3,
      points: [0, 0.25, 0.5].map((rate, i) => ({
        rate,
        removed: 40 * i,
        accuracy: [0.93, 0.9, 0.1][i],
        params: 1000 - 300 * i,
        flops: 2000 - 600 * i,
      })),
    }),
  );
  const layers = [
    {
      name: 'fc',
      className: 'Dense',
      components: { original: 10, pruned: 10 },
      params: { original: 100, pruned: 100 },
      flops: { original: 200, pruned: 200 },
    },
  ];
  const base = {
    rate: 0.5,
    removed: 80,
    total: 160,
    groups: 160,
    curveRemoved: 80,
    differences: [],
    maskedAccuracy: 0.1,
    prunedAccuracy: 0.1,
    params: { original: 1000, pruned: 400 },
    flops: { original: 2000, pruned: 800 },
    latencyMs: { original: 2, pruned: 1, batch: 64, runs: 5, engine: 'onnxruntime' },
    speedup: 2,
    layers,
  };
  fs.writeFileSync(
    path.join(dir, 'run.json'),
    JSON.stringify({
      command: 'prune',
      model: 'm.json',
      criterion: 'taylor',
      classes: null,
      settings: {},
      auc: 0.3,
      physical: { ...base, ...physical },
      ...run,
    }),
  );
  return renderRunReport(dir);
}

describe('run report of a physically pruned model', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  it('claims no speed-up when nothing was removed', () => {
    const html = runFolder(tmp.dir, { rate: 0, removed: 0, curveRemoved: 0, speedup: 1.13 });
    assert.doesNotMatch(html, /1\.13× faster/);
    assert.match(html, /nothing removed/);
    assert.match(runFolder(tmp.dir, {}), /2\.00× faster/);
  });

  it("lists a restricted task's classes by index and name", () => {
    const classNames = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress'];
    assert.match(
      runFolder(tmp.dir, {}, { classes: [1, 3], classNames }),
      /<dt>classes<\/dt><dd>1 \(Trouser\), 3 \(Dress\)<\/dd>/,
    );
    assert.match(runFolder(tmp.dir, {}, { classNames }), /<dt>classes<\/dt><dd>all 4<\/dd>/);
    assert.match(runFolder(tmp.dir, {}, { classes: [1] }), /<dt>classes<\/dt><dd>1<\/dd>/);
  });

  it('warns when the pruned model collapsed to near chance, and not when it kept its accuracy', () => {
    assert.match(
      runFolder(tmp.dir, {}),
      /<p class="warning" role="alert">⚠ Collapsed: the pruned model&#39;s 10\.0 % is near chance \(10\.0 % for 10 classes\)/,
    );
    const fine = runFolder(tmp.dir, {
      rate: 0.25,
      removed: 40,
      curveRemoved: 40,
      maskedAccuracy: 0.9,
      prunedAccuracy: 0.9,
    });
    assert.doesNotMatch(fine, /role="alert"/);
    assert.match(fine, /The pruned model is the curve's point at this rate: the same 40 components\./);
  });

  it('says how many components groups kept from the curve and why, and draws the model at the share it removed', () => {
    const html = runFolder(tmp.dir, {
      rate: 0.5,
      removed: 60,
      curveRemoved: 80,
      maskedAccuracy: 0.6,
      prunedAccuracy: 0.6,
      differences: [
        {
          cause: 'depthwise',
          groups: 20,
          kept: 20,
          added: 0,
          why: "a depthwise conv's channel is its input's channel",
        },
      ],
    });
    assert.match(
      html,
      /This is not the curve's point at rate 0\.5: the curve removes 80 components, the pruned model 60, because/,
    );
    assert.match(
      html,
      /<li>a depthwise conv&#39;s channel is its input&#39;s channel: 20 groups, 20 of the curve's components kept\.<\/li>/,
    );
    assert.match(html, /pruned model \(asked 0\.5, removed 0\.38: groups\)/);
  });
});
