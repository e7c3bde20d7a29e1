/**
 * Opening a large .onnx file in the PXP model view (issue 18), the way onnx-editor.ts does it: the host forks the
 * engine (dist/engine.js at niceness 10, as engine-session.ts), awaits its `info`, then reads the workspace's runs
 * and draws the page. Each open gets a fresh engine, so its peak RSS (VmHWM) is the open's own; a second `info` on
 * the same engine shows what a reopened view costs. The host's main thread is watched by the extension's LagMonitor
 * (a 20 ms timer) from the request until the page is drawn. Not part of the tests: a 350 MB export takes a minute.
 *
 *   /usr/bin/python3 scripts/export-torchvision.py --models vit_b_16 --size 224 --out /tmp/tv
 *   npm run build && npx tsx bench/onnx-view-open.ts /tmp/tv/vit_b_16/model.onnx [--repeats 3] [--workspace DIR]
 *     [--engine OTHER/dist/engine.js]
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EngineClient } from '../src/engine/client';
import { LagMonitor } from '../src/extension/lag-monitor';
import { onnxModelHtml, overlayOf } from '../src/extension/runs/onnx-model-html';
import { latestRunFor } from '../src/extension/runs/layer-figures';
import { listRuns } from '../src/extension/runs/run-summary';
import { componentFigures } from '../src/extension/runs/source-figures';

const ROOT = path.resolve(__dirname, '..');
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { repeats: { type: 'string' }, workspace: { type: 'string' }, engine: { type: 'string' } },
});
const file = positionals[0];
if (!file || !fs.existsSync(file)) {
  console.error('usage: npx tsx bench/onnx-view-open.ts MODEL.onnx [--repeats N] [--workspace DIR] [--engine FILE]');
  process.exit(2);
}
const workspace = values.workspace ?? path.dirname(path.resolve(file));
const REPEATS = Number(values.repeats ?? 3);
// Another build's engine (a copy of dist/ from before a change) to compare with.
const ENGINE = path.resolve(values.engine ?? path.join(ROOT, 'dist', 'engine.js'));

const statusMiB = (pid: number, field: 'VmRSS' | 'VmHWM') =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

interface Open {
  infoSeconds: number;
  drawMs: number;
  enginePeakMiB: number;
  engineAfterMiB: number;
  hostMaxLagMs: number;
  hostBusyLagMs: number;
  lagSamples: number;
  reopenSeconds: number;
  engineAfterReopenMiB: number;
  layers: number;
  tiedGroups: number;
}

async function openOnce(): Promise<Open> {
  const client = new EngineClient({ enginePath: ENGINE, niceness: 10 });
  const lag = new LagMonitor();
  try {
    await client.request('backend', {});
    const pid = client.pid!;
    lag.reset();
    const t0 = performance.now();
    const info = await client.request('info', { model: file });
    const t1 = performance.now();
    // What onnx-editor.ts does on the host once the engine answers.
    const run = latestRunFor(file, listRuns(workspace));
    const overlay = run ? overlayOf(run.name, componentFigures(run)) : undefined;
    const html = onnxModelHtml(file, info, overlay, { source: 'vscode-resource:', nonce: 'n' });
    const t2 = performance.now();
    const open = {
      infoSeconds: (t1 - t0) / 1000,
      drawMs: t2 - t1,
      enginePeakMiB: statusMiB(pid, 'VmHWM'),
      engineAfterMiB: statusMiB(pid, 'VmRSS'),
      hostMaxLagMs: lag.maxLagMs,
      hostBusyLagMs: lag.maxBusyLagMs,
      lagSamples: lag.samples,
      layers: info.layers.length,
      tiedGroups: info.groups.groups.filter((g) => g.layers.length > 1).length,
    };
    if (!html.includes('Component groups')) throw new Error('the page lacks its groups');
    const t3 = performance.now();
    await client.request('info', { model: file });
    return {
      ...open,
      reopenSeconds: (performance.now() - t3) / 1000,
      engineAfterReopenMiB: statusMiB(pid, 'VmRSS'),
    };
  } finally {
    lag.dispose();
    client.dispose();
  }
}

async function main(): Promise<void> {
  const mib = (fs.statSync(file).size / 2 ** 20).toFixed(0);
  console.log(
    `${file} (${mib} MiB), engine ${ENGINE}, workspace ${workspace}, load ${fs.readFileSync('/proc/loadavg', 'utf8').trim()}`,
  );
  const opens: Open[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const o = await openOnce();
    opens.push(o);
    console.log(
      `open ${i + 1}: info ${o.infoSeconds.toFixed(2)} s, engine peak ${o.enginePeakMiB.toFixed(0)} MiB, after ${o.engineAfterMiB.toFixed(0)} MiB; ` +
        `reopen ${o.reopenSeconds.toFixed(2)} s, after ${o.engineAfterReopenMiB.toFixed(0)} MiB; host: draw ${o.drawMs.toFixed(1)} ms, ` +
        `max lag ${o.hostMaxLagMs.toFixed(1)} ms (${o.hostBusyLagMs.toFixed(1)} ms busy) over ${o.lagSamples} samples; ` +
        `${o.layers} layers, ${o.tiedGroups} tied groups`,
    );
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(
    JSON.stringify({
      file,
      bytes: fs.statSync(file).size,
      infoSecondsMedian: +median(opens.map((o) => o.infoSeconds)).toFixed(2),
      enginePeakMiBMax: +Math.max(...opens.map((o) => o.enginePeakMiB)).toFixed(0),
      hostMaxLagMs: +Math.max(...opens.map((o) => o.hostMaxLagMs)).toFixed(1),
      opens,
    }),
  );
}

void main();
