import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pxp } from '../helpers/pxp';
import { listFiles, tempDir } from '../helpers/tmp';

const trapezoid = (r: number[], a: number[]) =>
  r.slice(1).reduce((s, x, i) => s + ((x - r[i]) * (a[i] + a[i + 1])) / 2, 0);

/** A run folder as pxp prune writes it, by hand: curve.json, run.json and relevance.json. */
function writeRun(dir: string, criterion: string, rates: number[], accuracy: number[]): void {
  fs.mkdirSync(dir, { recursive: true });
  const points = rates.map((rate, i) => ({
    rate,
    removed: Math.round(rate * 100),
    accuracy: accuracy[i],
    params: 1000 - 900 * rate,
    flops: 5000 - 4000 * rate,
  }));
  const auc = trapezoid(rates, accuracy);
  fs.writeFileSync(path.join(dir, 'curve.json'), JSON.stringify({ criterion, points, auc }));
  fs.writeFileSync(
    path.join(dir, 'run.json'),
    JSON.stringify({ command: 'prune', model: 'model.json', criterion, auc }),
  );
  fs.writeFileSync(
    path.join(dir, 'relevance.json'),
    JSON.stringify({ criterion, layers: [{ name: 'fc', kind: 'dense', scores: [1, 2, 3] }] }),
  );
}

describe('pxp compare', () => {
  let tmp: ReturnType<typeof tempDir>;
  let a: string;
  let b: string;
  const rates = [0, 0.2, 0.4, 0.6];
  beforeEach(() => {
    tmp = tempDir();
    a = path.join(tmp.dir, 'run-random');
    b = path.join(tmp.dir, 'run-lrp');
    writeRun(a, 'random', rates, [0.9, 0.5, 0.2, 0.1]);
    writeRun(b, 'lrp:epsilon-plus', rates, [0.9, 0.85, 0.7, 0.3]);
  });
  afterEach(() => tmp.cleanup());

  it('prints a table sorted by AUC, highest first, with accuracy interpolated at 0.1, 0.3 and 0.5', () => {
    const r = pxp(['compare', '--runs', `${a},${b}`]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0], /^run\s+AUC\s+@0\s+@0\.1\s+@0\.2\s+@0\.3\s+@0\.5$/);
    assert.match(lines[1], /^lrp:epsilon-plus\s/);
    assert.match(lines[2], /^random\s/);
    // lrp: 0.9 → 0.85 over 0…0.2, so 87.5 % at 0.1; 0.775 at 0.3; 0.5 at 0.5.
    assert.deepEqual(lines[1].split(/\s{2,}/).slice(2), ['90.0 %', '87.5 %', '85.0 %', '77.5 %', '50.0 %']);
    assert.ok(lines[1].includes(trapezoid(rates, [0.9, 0.85, 0.7, 0.3]).toFixed(4)));
  });

  it('--json gives {runs: [{run, criterion, auc, points}]} in the same order', () => {
    const r = pxp(['compare', '--runs', `${a},${b}`, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      r.json.runs.map((x: { criterion: string }) => x.criterion),
      ['lrp:epsilon-plus', 'random'],
    );
    assert.deepEqual(
      r.json.runs.map((x: { run: string }) => x.run),
      [b, a],
    );
    assert.equal(r.json.runs[1].auc, trapezoid(rates, [0.9, 0.5, 0.2, 0.1]));
    assert.deepEqual(
      r.json.runs[0].points.map((p: { rate: number }) => p.rate),
      rates,
    );
  });

  it('--out writes compare.html (both runs, no scripts) and compare.svg with one curve per run', () => {
    const out = path.join(tmp.dir, 'cmp');
    const r = pxp(['compare', '--runs', `${a},${b}`, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(listFiles(out), ['compare.html', 'compare.svg']);
    const html = fs.readFileSync(path.join(out, 'compare.html'), 'utf8');
    assert.ok(html.includes('lrp:epsilon-plus') && html.includes('random'));
    assert.ok(!/<script|https?:\/\//.test(html.replaceAll('http://www.w3.org/2000/svg', '')), 'self-contained');
    const svg = fs.readFileSync(path.join(out, 'compare.svg'), 'utf8');
    assert.equal((svg.match(/<polyline /g) ?? []).length, 2);
  });

  it('a folder without curve.json is bad input (exit 2) naming the folder; nothing is written', () => {
    const empty = path.join(tmp.dir, 'not-a-run');
    fs.mkdirSync(empty);
    const out = path.join(tmp.dir, 'cmp');
    const r = pxp(['compare', '--runs', `${a},${empty}`, '--out', out]);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(r.stderr.includes(empty) && r.stderr.includes('curve.json'), r.stderr);
    assert.ok(!fs.existsSync(out));
  });

  it('a malformed curve.json is bad input naming the folder and what is wrong', () => {
    fs.writeFileSync(path.join(a, 'curve.json'), '{"criterion": "random", "points": [');
    const cut = pxp(['compare', '--runs', `${a},${b}`]);
    assert.equal(cut.code, 2);
    assert.ok(cut.stderr.includes(a) && /not valid JSON/.test(cut.stderr), cut.stderr);
    fs.writeFileSync(
      path.join(a, 'curve.json'),
      JSON.stringify({ criterion: 'random', points: [{ rate: 0 }], auc: 0.5 }),
    );
    const bad = pxp(['compare', '--runs', `${a},${b}`]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /point 0 lacks a numeric rate and accuracy/);
  });

  it('--runs is required (usage, exit 1); a non-empty --out is refused without --force', () => {
    assert.equal(pxp(['compare']).code, 1);
    assert.equal(pxp(['compare', '--runs', ',']).code, 1);
    const r = pxp(['compare', '--runs', a, '--out', b]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /exists and is not empty/);
  });
});
