import assert from 'node:assert/strict';
import { latencyBatch } from '../../../src/cli/physical-removal';

describe('physical removal: the latency batch', () => {
  it('is 64 for models up to 1 GFLOP per sample, then the largest power of two within 64 GFLOPs per batch', () => {
    assert.equal(latencyBatch(2e6), 64); // the demo CNN
    assert.equal(latencyBatch(1e9), 64);
    assert.equal(latencyBatch(1.82e9), 32); // resnet18 at 224²
    assert.equal(latencyBatch(4.1e9), 8); // resnet50
    assert.equal(latencyBatch(15.5e9), 4); // vgg16
    assert.equal(latencyBatch(17.6e9), 2); // vit_b_16
    assert.equal(latencyBatch(1e12), 1);
  });
});
