import assert from 'node:assert/strict';
import { type ModelInfo, onnxModelHtml, overlayOf } from '../../../src/extension/runs/onnx-model-html';

const info: ModelInfo = {
  name: 'net',
  inputShape: [32, 32, 3],
  fileInputShape: [3, 32, 32],
  outputShape: [10],
  numClasses: 10,
  params: 1234567,
  macs: 890,
  flops: 1780,
  backend: { name: 'cpu' } as ModelInfo['backend'],
  onnx: { opset: 17, producer: 'pytorch 1.13' },
  layers: [
    { name: 'input', className: 'Input', outputShape: [3, 32, 32], inputs: [], params: 0, macs: 0 },
    { name: 'stem.0', className: 'Conv', outputShape: [8, 32, 32], inputs: ['input'], params: 224, macs: 221184 },
    { name: 'block.conv', className: 'Conv', outputShape: [8, 32, 32], inputs: ['stem.0'], params: 584, macs: 589824 },
    {
      name: 'block.add',
      className: 'Add',
      outputShape: [8, 32, 32],
      inputs: ['stem.0', 'block.conv'],
      params: 0,
      macs: 0,
    },
    {
      name: 'head.conv',
      className: 'Conv',
      outputShape: [4, 32, 32],
      inputs: ['block.add'],
      params: 292,
      macs: 294912,
    },
    { name: 'fc<x>', className: 'Gemm', outputShape: [10], inputs: ['head.conv'], params: 90, macs: 80 },
  ],
  groups: {
    layers: [
      { name: 'stem.0', kind: 'conv', components: 8, width: 1, group: 0 },
      { name: 'block.conv', kind: 'conv', components: 8, width: 1, group: 0 },
      { name: 'head.conv', kind: 'conv', components: 4, width: 1, group: 1 },
    ],
    groups: [
      { layers: ['stem.0', 'block.conv'], components: 8, fixed: 0, ties: ['residual'] },
      { layers: ['head.conv'], components: 4, fixed: 0, ties: [] },
    ],
  },
};

/** A transformer's: heads and MLP neurons, nothing tied. */
const vit: ModelInfo = {
  ...info,
  layers: [
    {
      name: 'encoder.layers.0.self_attention',
      className: 'MultiheadAttention',
      outputShape: [197, 768],
      inputs: [],
      params: 0,
      macs: 0,
    },
    {
      name: 'encoder.layers.0.mlp.0',
      className: 'MatMul',
      outputShape: [197, 3072],
      inputs: [],
      params: 2362368,
      macs: 1,
    },
  ],
  groups: {
    layers: [
      { name: 'encoder.layers.0.self_attention', kind: 'head', components: 12, width: 64, group: 0 },
      { name: 'encoder.layers.0.mlp.0', kind: 'neuron', components: 3072, width: 1, group: 1 },
    ],
    groups: [
      { layers: ['encoder.layers.0.self_attention'], components: 12, fixed: 0, ties: [] },
      { layers: ['encoder.layers.0.mlp.0'], components: 3072, fixed: 0, ties: [] },
    ],
  },
};

const csp = { source: 's', nonce: 'n' };

describe('the .onnx model view', () => {
  it('lists every layer with its shape, parameters and MACs, and the figures of the model', () => {
    const html = onnxModelHtml('/w/model.onnx', info, undefined, { source: 'vscode-resource:', nonce: 'N0' });
    assert.match(
      html,
      /<tr><td>stem\.0<\/td><td>Conv<\/td><td>8 × 32 × 32<\/td><td class="n">224<\/td><td class="n">221,184<\/td>/,
    );
    assert.match(html, /parameters 1,234,567/);
    assert.match(html, /input 3 × 32 × 32 \(channels first\)/);
    assert.match(html, /opset 17, pytorch 1\.13/);
    assert.ok(html.includes('<td>fc&lt;x&gt;</td>'), 'names are escaped');
    assert.match(html, /No run of this model yet/);
    assert.match(html, /style-src vscode-resource: 'nonce-N0'/);
    assert.ok(!/<script/.test(html));
    const link = decodeURIComponent(/href="command:pxp\.pruneModel\?([^"]+)"/.exec(html)![1]);
    assert.deepEqual(JSON.parse(link), [{ model: '/w/model.onnx' }]);
  });

  it('overlays the latest run: components before → after, share of the relevance, pruned rows marked', () => {
    const overlay = overlayOf('prune-1', new Map([['stem.0', { channels: 8, kept: 5, share: 0.25 }]]));
    const html = onnxModelHtml('/w/model.onnx', info, overlay, csp);
    assert.match(
      html,
      /<tr class="pruned"><td>stem\.0<\/td>.*<td class="n">8 → 5<\/td><td class="n">25\.0 %<\/td><\/tr>/,
    );
    assert.match(html, /<tr><td>fc&lt;x&gt;<\/td>.*<td class="n"><\/td><td class="n"><\/td><\/tr>/);
    assert.match(html, /from the latest run, <code>prune-1<\/code>/);
  });

  it('shows the component groups: what a group is, the tied ones with their layers, and a group column', () => {
    const html = onnxModelHtml('/w/model.onnx', info, undefined, csp);
    assert.match(html, /<h3>Component groups<\/h3>/);
    assert.match(html, /residual add is one channel of the stream/);
    assert.match(html, /The model has 3 prunable layers \(3 with channels\)/);
    assert.match(
      html,
      /<tr><td>G1<\/td><td class="n">8 channels<\/td><td>residual add<\/td><td>stem\.0, block\.conv<\/td><\/tr>/,
    );
    assert.ok(!/<td>G2<\/td>/.test(html), 'a layer alone gets no group of the table');
    assert.match(html, /The other 1 prunable layer is a group of its own\./);
    // Layer rows: the group beside the MACs, the components (no run yet: the layer's own count).
    assert.match(
      html,
      /<tr><td>block\.conv<\/td>.*<td class="n">589,824<\/td><td>G1<\/td><td class="n">8<\/td><td class="n"><\/td><\/tr>/,
    );
    assert.match(html, /<tr><td>head\.conv<\/td>.*<td><\/td><td class="n">4<\/td><td class="n"><\/td><\/tr>/);
    assert.match(html, /<tr><td>block\.add<\/td>.*<td><\/td><td class="n"><\/td><td class="n"><\/td><\/tr>/);
    assert.ok(!/<script/.test(html));
  });

  it('says when nothing is tied (a transformer), and counts heads as heads', () => {
    const html = onnxModelHtml('/w/vit.onnx', vit, undefined, csp);
    assert.match(html, /2 prunable layers \(1 with heads, 1 with MLP neurons\)/);
    assert.match(html, /No layers are tied: each prunable layer is a group of its own/);
    assert.ok(!html.includes('<table class="groups">'));
    assert.match(html, /<tr><td>encoder\.layers\.0\.self_attention<\/td>.*<td class="n">12 heads<\/td>/);
    const pruned = overlayOf('p', new Map([['encoder.layers.0.self_attention', { channels: 12, kept: 9 }]]));
    assert.match(onnxModelHtml('/w/vit.onnx', vit, pruned, csp), /<td class="n">12 → 9 heads<\/td>/);
  });
});
