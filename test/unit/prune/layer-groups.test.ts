import assert from 'node:assert/strict';
import path from 'node:path';
import { modulePath } from '../../../src/core/io/onnx/module-path';
import { readOnnxFile } from '../../../src/core/io/onnx/onnx-file';
import { openAnyModel } from '../../../src/core/io/open-model';
import { type ModelComponentGroups, modelComponentGroups } from '../../../src/core/prune/layer-groups';
import { useDefaultBackend } from '../../helpers/backend';
import { REPO } from '../../helpers/tmp';
import { fixture, torchvisionFixtures } from '../../helpers/torchvision';

const SMALL_RESNET = path.join(REPO, '..', 'shared', 'conformance', 'onnx-cases', 'small_resnet', 'model.onnx');

async function groupsOf(file: string): Promise<ModelComponentGroups> {
  const m = await openAnyModel(file);
  try {
    return modelComponentGroups(m.sharedGraph());
  } finally {
    m.dispose();
  }
}

const tied = (g: ModelComponentGroups) =>
  g.groups.filter((x) => x.layers.length > 1).map((x) => ({ layers: x.layers, components: x.components }));

/**
 * The groups read straight off the ONNX file with plain loops: walk back from every Add's inputs, and from every
 * depthwise Conv's input (group = input channels), through Relu/Clip/BatchNormalization/pooling (channel by channel) to the Conv that made the
 * value; the Convs met together are tied. Each group's components are its Convs' output channels (weight dims[0]).
 */
function groupsFromOnnx(file: string): { layers: string[]; components: number }[] {
  const graph = readOnnxFile(file).model.graph!;
  const producer = new Map(graph.node.flatMap((n) => n.output.map((o) => [o, n] as const)));
  const outChannels = new Map(graph.initializer.map((t) => [t.name, Number(t.dims[0])]));
  const convs = graph.node.filter((n) => n.opType === 'Conv');
  const order = convs.map((n) => modulePath(n.name)!);
  const convsBehind = (value: string): string[] => {
    const n = producer.get(value);
    if (!n) return [];
    if (n.opType === 'Conv') return [modulePath(n.name)!];
    if (n.opType === 'Add') return n.input.flatMap(convsBehind);
    if (['Relu', 'Clip', 'BatchNormalization', 'Identity', 'MaxPool', 'AveragePool'].includes(n.opType))
      return convsBehind(n.input[0]);
    return [];
  };
  const parent = new Map(order.map((c) => [c, c]));
  const find = (c: string): string => (parent.get(c) === c ? c : find(parent.get(c)!));
  const tie = (cs: string[]) => cs.slice(1).forEach((c) => parent.set(find(c), find(cs[0])));
  for (const n of graph.node) {
    if (n.opType === 'Add') tie(n.input.flatMap(convsBehind));
    const group = Number(n.attribute.find((a) => a.name === 'group')?.i ?? 1);
    if (n.opType === 'Conv' && group > 1) tie([modulePath(n.name)!, ...convsBehind(n.input[0])]);
  }
  const sets = new Map<string, string[]>();
  for (const c of order) sets.set(find(c), [...(sets.get(find(c)) ?? []), c]);
  const channels = new Map(convs.map((n) => [modulePath(n.name)!, outChannels.get(n.input[1])!]));
  return [...sets.values()]
    .filter((s) => s.length > 1)
    .map((layers) => ({ layers, components: channels.get(layers[0])! }))
    .sort((a, b) => order.indexOf(a.layers[0]) - order.indexOf(b.layers[0]));
}

describe('component groups layer by layer (pxp info, the .onnx view)', function () {
  this.timeout(600_000);
  before(useDefaultBackend);

  it('small_resnet: the stem and the first block, the second block and its downsample, each tied by its residual add', async () => {
    // shared/conformance's README: stem conv (8 channels), two BasicBlocks, the second with a strided 1×1 downsample.
    const g = await groupsOf(SMALL_RESNET);
    assert.deepEqual(tied(g), [
      { layers: ['conv1', 'layer1.0.conv2'], components: 8 },
      { layers: ['layer2.0.conv2', 'layer2.0.downsample.0'], components: 16 },
    ]);
    assert.deepEqual(tied(g), groupsFromOnnx(SMALL_RESNET));
    assert.deepEqual(
      g.layers.map((l) => [l.name, l.kind, l.components]),
      [
        ['conv1', 'conv', 8],
        ['layer1.0.conv1', 'conv', 8],
        ['layer1.0.conv2', 'conv', 8],
        ['layer2.0.conv1', 'conv', 16],
        ['layer2.0.conv2', 'conv', 16],
        ['layer2.0.downsample.0', 'conv', 16],
      ],
    );
    const alone = g.groups.filter((x) => x.layers.length === 1);
    assert.deepEqual(
      alone.map((x) => x.layers[0]),
      ['layer1.0.conv1', 'layer2.0.conv1'],
    );
    assert.ok(g.groups.every((x) => x.fixed === 0));
    assert.deepEqual(
      g.groups.map((x) => x.ties),
      // In the order of their first layers: conv1, layer1.0.conv1, layer2.0.conv1, layer2.0.conv2.
      [['residual'], [], [], ['residual']],
    );
    g.layers.forEach((l) => assert.ok(g.groups[l.group].layers.includes(l.name)));
  });

  for (const name of ['resnet18', 'mobilenet_v2']) {
    it(`${name}: the groups the ONNX file's adds and depthwise convs make`, async () => {
      torchvisionFixtures();
      const file = path.join(fixture(name), 'model.onnx');
      const g = await groupsOf(file);
      const want = groupsFromOnnx(file);
      assert.ok(want.length >= 4, `${name} has residual adds`);
      assert.deepEqual(tied(g), want);
      if (name === 'mobilenet_v2') {
        const ties = g.groups.filter((x) => x.layers.length > 1).map((x) => x.ties.join('+'));
        assert.ok(ties.includes('depthwise') && ties.includes('residual'));
      }
    });
  }

  it('vit_small: heads and MLP neurons, none tied', async () => {
    // export-torchvision.py: 3 layers of 4 heads (hidden 32, so 8 channels each) and an MLP of 64.
    const g = await groupsOf(path.join(fixture('vit_small'), 'model.onnx'));
    assert.deepEqual(
      g.layers.map((l) => [l.kind, l.components, l.width]),
      [
        ['head', 4, 8],
        ['neuron', 64, 1],
        ['head', 4, 8],
        ['neuron', 64, 1],
        ['head', 4, 8],
        ['neuron', 64, 1],
      ],
    );
    assert.equal(g.groups.length, 6);
    assert.ok(g.groups.every((x) => x.layers.length === 1 && x.ties.length === 0));
  });
});
