/**
 * ONNX's own backend tests (Debian's libonnx-testdata: a model.onnx and test_data_set_*\/{input,output}_*.pb each)
 * run through `pxp predict` on both executors. Whether PXP can take a test is PXP's own decision: the model is opened
 * with the reader every command uses, and a bad-input error from it (an op PXP cannot use, several inputs, an opset
 * it does not read, …) skips the test with PXP's message. Any other error is a PXP bug and fails the test, as does
 * an executor that refuses a model PXP opened, and an output that differs from ONNX's expected one by more than 1e-4
 * relative to max(1, |expected|).
 */
import { fromBinary } from '@bufbuild/protobuf';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { predictCommand } from '../../src/cli/commands/predict';
import type { CommandContext } from '../../src/cli/command';
import { PxpError } from '../../src/core/errors';
import { readNpy, writeNpy } from '../../src/core/io/npy';
import { openAnyModel } from '../../src/core/io/open-model';
import { readOnnxFile, TensorProtoSchema, tensorValues } from '../../src/core/io/onnx/onnx-file';
import { pxp } from './pxp';

export const TESTDATA = '/usr/share/libonnx-testdata/data';
/** The suites of ONNX backend tests (`real/` holds only download links to large models). */
export const SUITES = ['node', 'pytorch-converted', 'pytorch-operator', 'simple'] as const;
export const EXECUTORS = ['onnx', 'tfjs'] as const;
export const TOLERANCE = 1e-4;

export interface BackendTest {
  suite: string;
  name: string;
  dir: string;
  /** The op the test exercises (from its model; an `_expanded` test counts under the op it expands). */
  op: string;
}

export type Status = 'passed' | 'failed' | 'skipped';

export interface TestResult extends BackendTest {
  status: Status;
  /** Skipped: PXP's message (without the file path). Failed: what went wrong. */
  detail?: string;
  /** Per executor: the largest |actual − expected| / max(1, |expected|) over the test's data sets. */
  error?: Partial<Record<(typeof EXECUTORS)[number], number>>;
  /** Also run through the real CLI (node dist/cli.js predict). */
  cli?: boolean;
}

export interface SuiteReport {
  results: TestResult[];
  seconds: number;
}

/** Every backend test under `root`, in a stable order. */
export function listBackendTests(root = TESTDATA): BackendTest[] {
  const tests: Omit<BackendTest, 'op'>[] = [];
  for (const suite of SUITES) {
    const dir = path.join(root, suite);
    if (!fs.existsSync(dir)) continue;
    for (const name of fs.readdirSync(dir).sort()) {
      if (fs.existsSync(path.join(dir, name, 'model.onnx'))) tests.push({ suite, name, dir: path.join(dir, name) });
    }
  }
  const opsOf = new Map(tests.map((t) => [t.dir, modelOps(t.dir)]));
  return tests.map((t) => {
    // test_X_expanded holds the function body of the op test_X tests.
    const base = t.name.replace(/_expanded$/, '');
    const sibling = base !== t.name ? tests.find((s) => s.suite === t.suite && s.name === base) : undefined;
    return { ...t, op: opLabel(sibling ? sibling.name : t.name, opsOf.get(sibling ? sibling.dir : t.dir)!) };
  });
}

/** The distinct op types of a model, Constant and Identity left out (they carry no computation). */
function modelOps(dir: string): string[] {
  try {
    const ops = readOnnxFile(path.join(dir, 'model.onnx')).model.graph!.node.map((n) => n.opType);
    const distinct = [...new Set(ops)];
    const real = distinct.filter((o) => o !== 'Constant' && o !== 'Identity');
    return real.length ? real : distinct;
  } catch {
    return ['(unreadable model)'];
  }
}

/** One op: the model's only op, else the model's op the test name starts with (test_reduce_mean_… → ReduceMean), else all of them. */
function opLabel(name: string, ops: string[]): string {
  if (ops.length === 1) return ops[0];
  const words = name
    .replace(/^test_(operator_)?/, '')
    .toLowerCase()
    .split('_');
  for (let k = words.length; k > 0; k--) {
    const prefix = words.slice(0, k).join('');
    const hit = ops.find((o) => o.toLowerCase() === prefix);
    if (hit) return hit;
  }
  return ops.join('+');
}

const quietContext = (): CommandContext => ({
  json: true,
  force: true,
  backend: 'auto',
  progress: () => {},
  log: () => {},
  signal: new AbortController().signal,
});

/** PXP's message for a test it refuses, without the file path it names. */
const refusal = (e: PxpError, dir: string) =>
  e.message
    .split(path.join(dir, 'model.onnx') + ': ')
    .join('')
    .split(dir + path.sep)
    .join('');

interface DataSet {
  inputs: string[];
  output: string;
}

function dataSets(dir: string): DataSet[] {
  return fs
    .readdirSync(dir)
    .filter((d) => d.startsWith('test_data_set_'))
    .sort()
    .map((d) => {
      const files = fs.readdirSync(path.join(dir, d)).sort();
      return {
        inputs: files.filter((f) => /^input_\d+\.pb$/.test(f)).map((f) => path.join(dir, d, f)),
        output: path.join(dir, d, 'output_0.pb'),
      };
    });
}

function readTensor(file: string): { name: string; dims: number[]; data: Float32Array | Float64Array | Uint8Array } {
  const t = fromBinary(TensorProtoSchema, fs.readFileSync(file));
  const v = tensorValues(t, file);
  return { name: t.name, dims: v.dims, data: v.data };
}

/** The largest |a − e| / max(1, |e|); NaN and infinities must match exactly. */
export function relativeError(actual: Float32Array, expected: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) || !Number.isFinite(e)) {
      if (!Object.is(a, e) && !(Number.isNaN(a) && Number.isNaN(e))) return Infinity;
      continue;
    }
    worst = Math.max(worst, Math.abs(a - e) / Math.max(1, Math.abs(e)));
  }
  return Number.isNaN(worst) ? Infinity : worst;
}

type Predict = (model: string, inputs: string, out: string, executor: string) => Promise<void>;

/** `pxp predict` in this process, through the command object the CLI dispatches to. */
const predictInProcess: Predict = async (model, inputs, out, executor) => {
  await predictCommand.run({ model, inputs, out, executor }, quietContext());
};

/** `pxp predict` through the built CLI. */
const predictThroughCli: Predict = async (model, inputs, out, executor) => {
  const r = pxp([
    'predict',
    '--model',
    model,
    '--inputs',
    inputs,
    '--out',
    out,
    '--executor',
    executor,
    '--json',
    '--force',
  ]);
  if (r.code === 0) return;
  const err = r.json?.error as { message?: string } | undefined;
  throw new Error(`pxp predict exited ${r.code}: ${err?.message ?? r.stderr.trim().split('\n').pop()}`);
};

/** One test: PXP's verdict on the model, then every data set on both executors. */
async function runTest(
  test: BackendTest,
  work: string,
  predict: Predict,
): Promise<Omit<TestResult, keyof BackendTest>> {
  const model = path.join(test.dir, 'model.onnx');
  let inputName: string;
  try {
    const opened = await openAnyModel(model);
    inputName = opened.onnx!.facts.input.name;
    opened.dispose();
  } catch (e) {
    if (e instanceof PxpError && e.code === 'bad-input') return { status: 'skipped', detail: refusal(e, test.dir) };
    return { status: 'failed', detail: `PXP crashed reading the model: ${(e as Error).message}` };
  }
  const error: TestResult['error'] = {};
  for (const [k, set] of dataSets(test.dir).entries()) {
    const fed = set.inputs.map(readTensor);
    // PXP opened one input; a test that feeds more (initializers overridden as inputs) wants values PXP would not use.
    if (fed.length !== 1)
      return {
        status: 'failed',
        detail: `data set ${k} feeds ${fed.length} inputs (${fed.map((t) => t.name).join(', ')}) where PXP opened one ('${inputName}')`,
      };
    const x = fed[0];
    // A TensorProto is in the model's own layout (NCHW for maps), which is what pxp predict takes: written as it is.
    const inputs = path.join(work, `${test.suite}-${test.name}-${k}.npy`);
    writeNpy(inputs, { dtype: 'float32', shape: x.dims, data: Float32Array.from(x.data) });
    const expected = readTensor(set.output);
    for (const executor of EXECUTORS) {
      const out = path.join(work, `${test.suite}-${test.name}-${k}-${executor}`);
      try {
        await predict(model, inputs, out, executor);
      } catch (e) {
        // PXP took the model, so both executors must run it: a refusal here is a gap between the reader and an executor.
        if (e instanceof PxpError && e.code === 'bad-input')
          return {
            status: 'failed',
            detail: `PXP opened the model but the ${executor} executor refused it: ${refusal(e, test.dir)}`,
          };
        return {
          status: 'failed',
          detail: `${executor} executor: ${e instanceof PxpError ? `${e.code} error` : 'crashed'}: ${(e as Error).message.split('\n')[0]}`,
        };
      }
      const got = readNpy(path.join(out, 'outputs.npy'));
      if (got.shape.join() !== expected.dims.join())
        return {
          status: 'failed',
          detail: `${executor} executor: outputs [${got.shape}], expected [${expected.dims}]`,
        };
      error[executor] = Math.max(error[executor] ?? 0, relativeError(got.data as Float32Array, expected.data));
    }
  }
  const worst = Math.max(...Object.values(error));
  if (!(worst <= TOLERANCE)) {
    const per = EXECUTORS.map((e) => `${e} ${error[e]?.toExponential(1)}`).join(', ');
    return {
      status: 'failed',
      detail: `outputs differ from ONNX's by up to ${per} (relative to max(1, |expected|); tolerance ${TOLERANCE})`,
      error,
    };
  }
  return { status: 'passed', error };
}

export interface SuiteOptions {
  root?: string;
  /** Only tests whose `suite/name` matches. */
  filter?: RegExp;
  /** How many of the tests PXP takes (spread over the list), and of those it refuses (one per reason), also run through the real CLI (default 6 each). */
  cliSample?: number;
  onResult?: (r: TestResult) => void;
}

export async function runBackendSuite(opts: SuiteOptions = {}): Promise<SuiteReport> {
  const started = Date.now();
  const tests = listBackendTests(opts.root).filter((t) => !opts.filter || opts.filter.test(`${t.suite}/${t.name}`));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pxp-onnx-backend-'));
  try {
    const results: TestResult[] = [];
    for (const test of tests) {
      const r: TestResult = { ...test, ...(await runTest(test, work, predictInProcess)) };
      results.push(r);
      opts.onResult?.(r);
    }
    // The same checks through the real CLI on a sample spread over the tests that ran (different ops).
    const ran = results.filter((r) => r.status !== 'skipped');
    const want = Math.min(opts.cliSample ?? 6, ran.length);
    for (let i = 0; i < want; i++) {
      const r = ran[Math.floor((i * ran.length) / want)];
      const cliWork = path.join(work, 'cli');
      fs.mkdirSync(cliWork, { recursive: true });
      const viaCli = await runTest(r, cliWork, predictThroughCli);
      r.cli = true;
      if (viaCli.status !== 'passed' && r.status === 'passed')
        Object.assign(r, { status: viaCli.status, detail: `through the CLI: ${viaCli.detail}` });
    }
    // Refusals through the real CLI, one test per kind of reason: exit 2 with PXP's message, nothing written.
    const skipped = results.filter((r) => r.status === 'skipped');
    const kinds = countBy(skipped.map((r) => reasonKind(r.detail!))).map(([kind]) =>
      skipped.find((r) => reasonKind(r.detail!) === kind)!,
    );
    const dummy = path.join(work, 'dummy.npy');
    writeNpy(dummy, { dtype: 'float32', shape: [1, 1], data: new Float32Array(1) });
    for (const r of kinds.slice(0, opts.cliSample ?? 6)) {
      const out = path.join(work, 'cli', `refused-${r.name}`);
      const cli = pxp(['predict', '--model', path.join(r.dir, 'model.onnx'), '--inputs', dummy, '--out', out]);
      r.cli = true;
      const said = cli.stderr.split(path.join(r.dir, 'model.onnx') + ': ').join('');
      if (cli.code !== 2 || !said.includes(r.detail!.split('\n')[0]) || fs.existsSync(out))
        Object.assign(r, {
          status: 'failed',
          detail: `through the CLI: exit ${cli.code}${fs.existsSync(out) ? ', wrote --out' : ''}, not PXP's refusal '${r.detail}': ${cli.stderr.trim()}`,
        });
    }
    return { results, seconds: (Date.now() - started) / 1000 };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** A skip reason with names and numbers taken out, for counting reasons across tests. */
export function reasonKind(detail: string): string {
  return detail
    .replace(/^node '[^']*' \([^)]*\): /, '')
    .replace(/ \([^)]*\)/g, '')
    .split(/: |; /)[0]
    .replace(/'[^']*'/g, "'…'")
    .replace(/\d+/g, 'N');
}

interface Counts {
  ran: number;
  passed: number;
  failed: number;
  skipped: number;
}

const tally = (rs: TestResult[]): Counts => ({
  ran: rs.filter((r) => r.status !== 'skipped').length,
  passed: rs.filter((r) => r.status === 'passed').length,
  failed: rs.filter((r) => r.status === 'failed').length,
  skipped: rs.filter((r) => r.status === 'skipped').length,
});

export const totals = (report: SuiteReport): Counts => tally(report.results);

/** The per-op table, the totals per suite and overall, the commonest skip reasons and every failure. */
export function formatReport(report: SuiteReport, opts: { reasons?: number } = {}): string {
  const byOp = new Map<string, TestResult[]>();
  for (const r of report.results) byOp.set(r.op, [...(byOp.get(r.op) ?? []), r]);
  const rows = [...byOp].sort(([a], [b]) => a.localeCompare(b));
  const width = Math.min(40, Math.max(2, ...rows.map(([op]) => op.length)));
  const line = (label: string, c: Counts, note = '') =>
    `${label.slice(0, width).padEnd(width)} ${String(c.ran).padStart(4)} ${String(c.passed).padStart(6)} ${String(c.failed).padStart(6)} ${String(c.skipped).padStart(7)}${note ? `  ${note}` : ''}`;
  const topReason = (rs: TestResult[]) => {
    const skipped = rs.filter((r) => r.status === 'skipped');
    if (!skipped.length) return '';
    const counts = countBy(skipped.map((r) => reasonKind(r.detail!)));
    return counts[0][0];
  };
  const out = [
    `ONNX backend tests (${TESTDATA}) through pxp predict, executors ${EXECUTORS.join(' and ')}, tolerance ${TOLERANCE} relative to max(1, |expected|)`,
    '',
  ];
  out.push(`${'op'.padEnd(width)}  ran passed failed skipped  (commonest skip reason)`);
  for (const [op, rs] of rows) out.push(line(op, tally(rs), topReason(rs)));
  out.push('');
  for (const suite of SUITES) {
    const rs = report.results.filter((r) => r.suite === suite);
    if (rs.length) out.push(line(`suite ${suite}`, tally(rs)));
  }
  out.push(line('total', totals(report)));
  const t = totals(report);
  const worst = EXECUTORS.map(
    (e) =>
      `${e} ${Math.max(0, ...report.results.map((r) => (r.status === 'passed' ? (r.error?.[e] ?? 0) : 0))).toExponential(1)}`,
  );
  const cli = (skipped: boolean) =>
    report.results.filter((r) => r.cli && (r.status === 'skipped') === skipped).map((r) => r.name);
  out.push(
    '',
    `${t.ran} ran (${t.passed} passed, ${t.failed} failed), ${t.skipped} skipped, of ${report.results.length} tests in ${report.seconds.toFixed(0)} s; largest difference of a passed test: ${worst.join(', ')}.`,
  );
  out.push(
    `Also through node dist/cli.js predict: ${cli(false).length} that ran (${cli(false).join(', ')}) and ${cli(true).length} refusals, one per commonest reason (${cli(true).join(', ')}).`,
  );
  const skipped = report.results.filter((r) => r.status === 'skipped');
  if (skipped.length) {
    out.push('', "skip reasons (PXP's own messages, names and numbers taken out):");
    for (const [reason, n] of countBy(skipped.map((r) => reasonKind(r.detail!))).slice(0, opts.reasons ?? 12))
      out.push(`  ${String(n).padStart(4)}  ${reason}`);
  }
  const failed = report.results.filter((r) => r.status === 'failed');
  if (failed.length) {
    out.push('', 'failed:');
    for (const r of failed) out.push(`  ${r.suite}/${r.name} (${r.op}): ${r.detail}`);
  }
  return out.join('\n');
}

function countBy(keys: string[]): [string, number][] {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return [...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}
