import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { modulePath } from '../../../src/core/io/onnx/module-path';
import { readOnnxFile } from '../../../src/core/io/onnx/onnx-file';
import { buildSourceMap, placementCounts } from '../../../src/core/source-map/build-source-map';
import { framesByLevel, parseStack } from '../../../src/core/source-map/stack-frames';
import type { SourceMapFile } from '../../../src/shared/run-folder/types';
import { SOURCE_MAP_MODEL_PY, type SourceMapTruth, sourceMapFixtures } from '../../helpers/source-map-fixtures';
import { tempDir } from '../../helpers/tmp';

/** Python's record for a module path of the export: `relu_1` is the second call of `relu`. */
function expected(truth: SourceMapTruth, module: string): { built: number; call?: number } {
  const direct = truth.modules[module];
  if (direct) return { built: direct.built!, ...(direct.calls.length ? { call: direct.calls[0] } : {}) };
  const again = /^(.*)_(\d+)$/.exec(module);
  assert.ok(again, `${module} is not a module of model.py`);
  const base = truth.modules[again[1]];
  return { built: base.built!, call: base.calls[Number(again[2])] };
}

/** Module paths of the export's Conv and Gemm nodes (the components), read from the node names. */
function layerModules(file: string): string[] {
  return readOnnxFile(file)
    .model.graph!.node.filter((n) => n.opType === 'Conv' || n.opType === 'Gemm')
    .map((n) => modulePath(n.name)!);
}

function mapOf(onnx: string, roots: string[]): SourceMapFile {
  return buildSourceMap({ model: readOnnxFile(onnx).model, modelFile: onnx, roots, components: layerModules(onnx) });
}

describe('source map (module path → Python source)', function () {
  this.timeout(300_000);
  let fx: ReturnType<typeof sourceMapFixtures>;
  let ws: ReturnType<typeof tempDir>;
  let onnxDir: ReturnType<typeof tempDir>;
  before(() => {
    fx = sourceMapFixtures();
    ws = tempDir('pxp-srcmap-ws-');
    fs.copyFileSync(SOURCE_MAP_MODEL_PY, path.join(ws.dir, 'model.py'));
    // The exports sit in a folder of their own: the model's folder is always searched too.
    onnxDir = tempDir('pxp-srcmap-onnx-');
    for (const f of ['verbose.onnx', 'plain.onnx']) fs.copyFileSync(path.join(fx.dir, f), path.join(onnxDir.dir, f));
  });
  after(() => {
    ws?.cleanup();
    onnxDir?.cleanup();
  });

  it('parses the stack of a verbose export and aligns its module entries with the node scope', () => {
    const doc = [
      '/t/torch/nn/modules/conv.py(463): forward',
      '/t/torch/nn/modules/module.py(1182): _slow_forward',
      '/t/torch/nn/modules/module.py(1194): _call_impl',
      '/m/model.py(23): forward',
      '/t/torch/nn/modules/module.py(1194): _call_impl',
      '/t/torch/nn/modules/container.py(204): forward',
      '/t/torch/nn/modules/module.py(1194): _call_impl',
      '/m/model.py(68): forward',
      '/t/torch/nn/modules/module.py(1194): _call_impl',
      '/t/torch/jit/_trace.py(127): forward',
      '/t/torch/nn/modules/module.py(1194): _call_impl',
      '/u/train.py(9): <module>',
    ].join('\n');
    const stack = parseStack(doc);
    assert.equal(stack.length, 12);
    assert.deepEqual(stack[3], { file: '/m/model.py', line: 23, fn: 'forward' });
    // /layer1/layer1.0/conv1/Conv: the model, layer1 (a Sequential), layer1.0 (a block), conv1.
    const levels = framesByLevel(stack, 3)!;
    assert.equal(levels[0].forward?.line, 68);
    assert.equal(levels[1].call?.line, 68);
    assert.match(levels[1].forward!.file, /container\.py$/);
    assert.match(levels[2].call!.file, /container\.py$/);
    assert.equal(levels[2].forward?.line, 23);
    assert.equal(levels[3].call?.line, 23);
    assert.match(levels[3].forward!.file, /conv\.py$/);
    // Five module entries (the tracer's wrapper is one): a sixth level is not in this stack.
    assert.equal(framesByLevel(stack, 5), undefined);
    assert.deepEqual(parseStack(''), []);
  });

  it('places every module of a verbose export on the lines Python built and called it (stack from another machine)', () => {
    const map = mapOf(path.join(onnxDir.dir, 'verbose.onnx'), [ws.dir]);
    assert.ok(!fs.existsSync(fx.truth.exportedFrom), 'the export names a file that is gone');
    assert.ok(map.stackNodes > 0);
    assert.deepEqual(map.unplaced, []);
    const file = path.join(ws.dir, 'model.py');
    for (const [module, place] of Object.entries(map.modules)) {
      const want = expected(fx.truth, module);
      assert.equal(place.file, file, module);
      assert.equal(place.definitionLine, want.built, `${module}: definition line`);
      assert.equal(place.callLine, want.call, `${module}: call line`);
      assert.equal(place.callFile, undefined, module);
    }
    for (const c of layerModules(path.join(onnxDir.dir, 'verbose.onnx')))
      assert.ok(map.modules[c], `component ${c} placed`);
    // Children of a class the stack named are placed by the stack; a Sequential's items by reading its code.
    assert.equal(map.modules['layer1.0.conv1'].how, 'export-stack');
    assert.equal(map.modules['layer1.0.relu_1'].how, 'export-stack');
    assert.equal(map.modules['stem.0'].how, 'workspace-search');
    assert.equal(map.modules['layer1.0'].className, 'BasicBlock');
    assert.equal(map.modules['classifier.3'].className, 'Linear');
    const counts = placementCounts(map);
    assert.equal(counts.unplaced, 0);
    assert.equal(counts.exportStack + counts.workspaceSearch, Object.keys(map.modules).length);
  });

  it('places a plain export (no stacks) by reading the workspace, on the same lines', () => {
    const verbose = mapOf(path.join(onnxDir.dir, 'verbose.onnx'), [ws.dir]);
    const plain = mapOf(path.join(onnxDir.dir, 'plain.onnx'), [ws.dir]);
    assert.equal(plain.stackNodes, 0);
    assert.deepEqual(plain.unplaced, []);
    assert.deepEqual(Object.keys(plain.modules), Object.keys(verbose.modules));
    for (const [module, place] of Object.entries(plain.modules)) {
      const want = expected(fx.truth, module);
      assert.equal(place.how, 'workspace-search', module);
      assert.equal(place.definitionLine, want.built, `${module}: definition line`);
      // The search finds the first call of self.<name> in the parent's forward; a second call is the export's.
      if (!/_\d+$/.test(module)) assert.equal(place.callLine, want.call, `${module}: call line`);
    }
  });

  it('lists every module as unplaced, with the reason, when no .py file defines the model', () => {
    const empty = tempDir('pxp-srcmap-empty-');
    try {
      const map = mapOf(path.join(onnxDir.dir, 'plain.onnx'), [empty.dir]);
      assert.deepEqual(map.modules, {});
      assert.ok(map.unplaced.length > 0);
      for (const u of map.unplaced)
        assert.match(u.reason, /no class in the indexed Python files .* assigns all of self\.stem/);
    } finally {
      empty.cleanup();
    }
  });

  it('does not guess between two classes that both fit', () => {
    const other = tempDir('pxp-srcmap-copy-');
    try {
      fs.copyFileSync(SOURCE_MAP_MODEL_PY, path.join(other.dir, 'copy_of_model.py'));
      const map = mapOf(path.join(onnxDir.dir, 'plain.onnx'), [ws.dir, other.dir]);
      assert.deepEqual(map.modules, {});
      for (const u of map.unplaced)
        assert.match(u.reason, /2 classes match the model's top-level modules \(SmallNet in .*; SmallNet in /);
      // With the stack, the export itself says which file ran: only the file the stack names can match.
      const verbose = mapOf(path.join(onnxDir.dir, 'verbose.onnx'), [ws.dir, other.dir]);
      assert.deepEqual(verbose.unplaced, []);
      assert.equal(verbose.modules['layer1.0.conv1'].file, path.join(ws.dir, 'model.py'));
    } finally {
      other.cleanup();
    }
  });
});
