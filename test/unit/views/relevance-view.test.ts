import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PxpError } from '../../../src/core/errors';
import { readNpy } from '../../../src/core/io/npy';
import { isRelevanceView } from '../../../src/protocol/webview';
import { PNG } from 'pngjs';
import { MAX_SAMPLE_VALUES, readRelevanceView, renderRelevanceHeatmap } from '../../../src/views/relevance-view';
import { tempDir } from '../../helpers/tmp';
import { demoRuns } from './demo-runs';

describe('relevance view of an attribution folder', function () {
  this.timeout(300_000);

  it('has every layer of components.json, with the per-sample rows and their mean over samples', () => {
    const { attribution } = demoRuns();
    const view = readRelevanceView(attribution);
    const json = JSON.parse(fs.readFileSync(path.join(attribution, 'components.json'), 'utf8'));
    assert.equal(view.source, 'attribution');
    assert.deepEqual(
      view.layers.map((l) => l.name),
      json.layers.map((l: { name: string }) => l.name),
    );
    json.layers.forEach((layer: { relevance: number[][] }, i: number) => {
      const rows = layer.relevance;
      assert.deepEqual(view.layers[i].perSample, rows);
      for (let c = 0; c < rows[0].length; c++) {
        let sum = 0;
        for (const row of rows) sum += row[c];
        assert.ok(Math.abs(view.layers[i].mean[c] - sum / rows.length) < 1e-12, `layer ${i} component ${c}`);
      }
    });
    assert.equal(view.composite?.name, json.composite.name);
    assert.deepEqual(view.composite?.rules, json.rules);
    // The demo model carries Fashion-MNIST's class names; the panel names a sample's class by them.
    assert.equal(view.classNames?.[3], 'Dress');
    assert.deepEqual(view.classNames, json.classNames);
    assert.ok(isRelevanceView(view), 'the view passes the protocol validator the webview applies');
  });

  it('computes the conservation check as the engine reports it: input relevance sum per sample vs output relevance 1', () => {
    const { attribution, attributeJson } = demoRuns();
    const view = readRelevanceView(attribution);
    assert.equal(view.samples.length, attributeJson.samples);
    view.samples.forEach((s, i) => {
      assert.ok(
        Math.abs(s.inputSum - attributeJson.relevanceSums[i]) < 1e-4,
        `sample ${i}: ${s.inputSum} vs ${attributeJson.relevanceSums[i]}`,
      );
      assert.equal(s.outputSum, attributeJson.outputRelevance[i]);
    });
    const ratios = attributeJson.relevanceSums.map((v, i) => v / attributeJson.outputRelevance[i]);
    assert.ok(Math.abs(view.conservation!.meanRatio - ratios.reduce((a, v) => a + v, 0) / ratios.length) < 1e-4);
    const worst = Math.max(
      ...attributeJson.relevanceSums.map((v, i) => Math.abs(v - attributeJson.outputRelevance[i])),
    );
    assert.ok(Math.abs(view.conservation!.worstGap - worst) < 1e-4);
    // Relevance flows from the output to the input: the last layer's sum is close to the output's 1, as LRP-ε conserves it there.
    const last = view.samples[0].layerSums[view.layers.length - 1];
    assert.ok(Math.abs(last - 1) < 0.05, `the last component layer holds ${last}`);
  });

  it('inlines the heatmaps the folder has, and only those, as PNG data URIs', () => {
    const { attribution } = demoRuns();
    const view = readRelevanceView(attribution);
    const files = fs.readdirSync(path.join(attribution, 'heatmaps')).sort();
    assert.equal(files.length, 4);
    assert.equal(view.samples.filter((s) => s.heatmap).length, 4);
    for (const f of files) {
      const index = Number(f.slice(0, 4));
      const bytes = fs.readFileSync(path.join(attribution, 'heatmaps', f));
      assert.equal(view.samples[index].heatmap, `data:image/png;base64,${bytes.toString('base64')}`);
      assert.equal(f, `${f.slice(0, 4)}-class${view.samples[index].target}.png`);
    }
    assert.equal(view.samples[4].heatmap, undefined);
  });

  it('leaves the output relevance unknown with the logit initialisation (the folder does not record the logits)', () => {
    const { attribution } = demoRuns();
    const { dir, cleanup } = tempDir();
    try {
      const json = JSON.parse(fs.readFileSync(path.join(attribution, 'components.json'), 'utf8'));
      fs.writeFileSync(path.join(dir, 'components.json'), JSON.stringify({ ...json, init: 'logit' }));
      fs.copyFileSync(path.join(attribution, 'input.npy'), path.join(dir, 'input.npy'));
      const view = readRelevanceView(dir);
      assert.equal(view.conservation, undefined);
      assert.ok(view.samples.every((s) => s.outputSum === undefined && Number.isFinite(s.inputSum)));
    } finally {
      cleanup();
    }
  });

  it('refuses an input.npy with another sample count than components.json', () => {
    const { attribution } = demoRuns();
    const { dir, cleanup } = tempDir();
    try {
      fs.copyFileSync(path.join(attribution, 'components.json'), path.join(dir, 'components.json'));
      const input = readNpy(path.join(attribution, 'input.npy'));
      const per = input.data.length / input.shape[0];
      const npy = fs.readFileSync(path.join(attribution, 'input.npy'));
      // Same header layout with 3 samples: rewrite the shape and cut the data.
      const header = npy
        .subarray(0, npy.length - input.data.length * 4)
        .toString('latin1')
        .replace(`(${input.shape[0]},`, `(3,${' '.repeat(String(input.shape[0]).length - 1)}`);
      fs.writeFileSync(
        path.join(dir, 'input.npy'),
        Buffer.concat([
          Buffer.from(header, 'latin1'),
          npy.subarray(npy.length - input.data.length * 4, npy.length - input.data.length * 4 + 3 * per * 4),
        ]),
      );
      assert.throws(
        () => readRelevanceView(dir),
        (e: unknown) => e instanceof PxpError && /input\.npy holds 3 samples/.test(e.message),
      );
    } finally {
      cleanup();
    }
  });
});

describe('relevance heatmaps drawn from input.npy', function () {
  this.timeout(300_000);
  const decode = (uri: string) => PNG.sync.read(Buffer.from(uri.slice('data:image/png;base64,'.length), 'base64'));

  it('match the right half of the PNG pxp attribute wrote for the same sample', () => {
    const { attribution } = demoRuns();
    const file = fs.readdirSync(path.join(attribution, 'heatmaps')).sort()[1];
    const written = PNG.sync.read(fs.readFileSync(path.join(attribution, 'heatmaps', file)));
    const drawn = decode(renderRelevanceHeatmap(attribution, 1)!);
    assert.equal(drawn.height, written.height);
    // The written PNG is [input | 2 px gap | relevance]; ours is the relevance alone.
    const offset = written.width - drawn.width;
    assert.equal(offset, drawn.width + 2);
    for (let y = 0; y < drawn.height; y += 3) {
      for (let x = 0; x < drawn.width; x += 3) {
        const a = (y * drawn.width + x) * 4;
        const b = (y * written.width + offset + x) * 4;
        assert.deepEqual([...drawn.data.subarray(a, a + 3)], [...written.data.subarray(b, b + 3)], `pixel ${x},${y}`);
      }
    }
  });

  it('colour the most relevant pixel of a later sample full red (or blue when negative)', () => {
    const { attribution } = demoRuns();
    const input = readNpy(path.join(attribution, 'input.npy'));
    const [, h, w] = input.shape;
    const s = 57;
    const r = input.data.subarray(s * h * w, (s + 1) * h * w);
    let top = 0;
    for (let i = 0; i < r.length; i++) if (Math.abs(r[i]) > Math.abs(r[top])) top = i;
    const png = decode(renderRelevanceHeatmap(attribution, s)!);
    const scale = png.width / w;
    const at = (Math.floor(top / w) * scale * png.width + (top % w) * scale) * 4;
    assert.deepEqual([...png.data.subarray(at, at + 3)], r[top] > 0 ? [255, 0, 0] : [0, 0, 255]);
    assert.throws(() => renderRelevanceHeatmap(attribution, 100), /sample 100 is not among the 100/);
    const labelled = decode(renderRelevanceHeatmap(attribution, s, 'class 3: Dress')!);
    assert.ok(labelled.height > png.height, 'a label gets its own row under the colour scale');
  });
});

describe('relevance view of a prune run', function () {
  this.timeout(300_000);

  it('shows the criterion scores of relevance.json, without samples', () => {
    const { masked } = demoRuns();
    const view = readRelevanceView(masked);
    const json = JSON.parse(fs.readFileSync(path.join(masked, 'relevance.json'), 'utf8'));
    assert.equal(view.source, 'prune');
    assert.equal(view.criterion, 'taylor');
    assert.deepEqual(
      view.layers.map((l) => [l.name, l.mean]),
      json.layers.map((l: { name: string; scores: number[] }) => [l.name, l.scores]),
    );
    assert.equal(view.samples.length, 0);
    assert.ok(isRelevanceView(view));
  });

  it('names the folder and the problem when there is nothing to show or a file is cut short', () => {
    const { dir, cleanup } = tempDir();
    try {
      assert.throws(
        () => readRelevanceView(dir),
        (e: unknown) => e instanceof PxpError && e.code === 'bad-input' && e.message.includes(dir),
      );
      fs.writeFileSync(path.join(dir, 'components.json'), '{"layers": [');
      assert.throws(
        () => readRelevanceView(dir),
        (e: unknown) => e instanceof PxpError && /components\.json is not valid JSON/.test(e.message),
      );
    } finally {
      cleanup();
    }
  });
});

describe('relevance view of a large attribution folder', () => {
  it('sends the first samples only, within the value budget, but averages over all of them', () => {
    const { dir, cleanup } = tempDir();
    try {
      const n = 60;
      const width = 10_000;
      const relevance = Array.from({ length: n }, (_, s) => Array.from({ length: width }, (_, c) => (c === 0 ? s : 0)));
      fs.writeFileSync(
        path.join(dir, 'components.json'),
        JSON.stringify({
          init: 'one-hot',
          targets: Array(n).fill(0),
          layers: [{ name: 'wide', kind: 'dense', relevance }],
        }),
      );
      const view = readRelevanceView(dir);
      assert.equal(view.samplesTotal, n);
      assert.equal(view.samples.length, MAX_SAMPLE_VALUES / width);
      assert.equal(view.layers[0].perSample!.length, view.samples.length);
      assert.equal(view.layers[0].mean[0], (n - 1) / 2, 'the mean uses every sample');
    } finally {
      cleanup();
    }
  });
});
