/**
 * How the source map places each module of torchvision models: by the export's stack (verbose=True), by reading
 * the .py files (torchvision's own folder as the source root), or not at all; for a verbose and a plain export.
 * `npx tsx bench/source-map-placement.ts [resnet18,mobilenet_v2,vit_b_16] [SIZE]` — exports with Debian's torch
 * (random weights, eval mode, opset 17) into a temp folder, then builds the maps.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readOnnxFile } from '../src/core/io/onnx/onnx-file';
import { buildSourceMap, placementCounts } from '../src/core/source-map/build-source-map';

const models = (process.argv[2] ?? 'resnet18,mobilenet_v2,vit_b_16').split(',');
const size = Number(process.argv[3] ?? 224);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pxp-srcmap-bench-'));
const TORCHVISION = '/usr/lib/python3/dist-packages/torchvision';
const script = `
import sys, torch, torchvision, warnings
warnings.filterwarnings('ignore')
name, size, out, verbose = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4] == '1'
m = getattr(torchvision.models, name)().eval()
torch.onnx.export(m, torch.randn(1, 3, size, size), out, verbose=verbose, opset_version=17)
`;
try {
  for (const name of models) {
    for (const verbose of [true, false]) {
      const file = path.join(dir, `${name}-${verbose ? 'verbose' : 'plain'}.onnx`);
      const r = spawnSync('/usr/bin/python3', ['-c', script, name, String(size), file, verbose ? '1' : '0'], {
        encoding: 'utf8',
        maxBuffer: 1 << 30,
      });
      if (r.status !== 0) throw new Error(`export of ${name} failed: ${r.stderr}`);
      const t0 = Date.now();
      const map = buildSourceMap({
        model: readOnnxFile(file).model,
        modelFile: file,
        roots: [TORCHVISION],
        components: [],
      });
      const c = placementCounts(map);
      const reasons = new Map<string, number>();
      for (const u of map.unplaced) {
        const key = u.reason.replace(/\b(layer\d|features|encoder)[\w.]*/g, '…').slice(0, 140);
        reasons.set(key, (reasons.get(key) ?? 0) + 1);
      }
      console.log(
        `${name} ${verbose ? 'verbose' : 'plain  '}: ${c.exportStack + c.workspaceSearch + c.unplaced} modules, ${c.exportStack} by the stack, ${c.workspaceSearch} by reading the .py files, ${c.unplaced} unplaced (${Date.now() - t0} ms, ${map.stackNodes} nodes with a stack)`,
      );
      for (const [reason, n] of reasons) console.log(`    ${n}× ${reason}`);
      fs.rmSync(file);
    }
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
