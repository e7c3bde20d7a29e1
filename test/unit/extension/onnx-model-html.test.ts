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
    { name: 'fc<x>', className: 'Gemm', outputShape: [10], inputs: ['stem.0'], params: 90, macs: 80 },
  ],
};

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
    const html = onnxModelHtml('/w/model.onnx', info, overlay, { source: 's', nonce: 'n' });
    assert.match(
      html,
      /<tr class="pruned"><td>stem\.0<\/td>.*<td class="n">8 → 5<\/td><td class="n">25\.0 %<\/td><\/tr>/,
    );
    assert.match(html, /<tr><td>fc&lt;x&gt;<\/td>.*<td class="n"><\/td><td class="n"><\/td><\/tr>/);
    assert.match(html, /from the latest run, <code>prune-1<\/code>/);
  });
});
