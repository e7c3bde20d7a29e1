import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { writeSearchReport } from '../../src/core/report/search-report';
import { pxp } from '../helpers/pxp';
import { REPO, tempDir } from '../helpers/tmp';

const DEMO = path.join(REPO, 'examples', 'fashion-mnist');
const MODEL = path.join(DEMO, 'model', 'model.json');

describe('pxp search writes search.html', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  it('with the progress and importance charts, the best AUC, the best trials and the best composite', () => {
    const out = path.join(tmp.dir, 'search');
    const args = [
      'search',
      '--model',
      MODEL,
      '--reference',
      path.join(DEMO, 'reference'),
      '--eval',
      path.join(DEMO, 'test'),
      '--eval-limit',
      '200',
    ];
    const r = pxp([
      ...args,
      '--rates',
      '0,0.2,0.4',
      '--baselines',
      'none',
      '--trials',
      '4',
      '--sampler',
      'random',
      '--out',
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    for (const f of ['search.html', 'search-progress.svg', 'importance.svg'])
      assert.ok(fs.existsSync(path.join(out, f)), f);
    const run = JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8'));
    const html = fs.readFileSync(path.join(out, 'search.html'), 'utf8');
    assert.ok(html.includes(run.best.auc.toFixed(4)), `best AUC ${run.best.auc.toFixed(4)} on the page`);
    assert.match(html, /importance/i);
    assert.ok(html.includes('href="report.html"'));
    assert.ok(!/<script/i.test(html), 'no scripts');
    assert.equal((html.match(/<tr[ >]/g) ?? []).length, 1 + 4, 'a header row and one row per trial');
    const composite = JSON.parse(fs.readFileSync(path.join(out, 'best-composite.json'), 'utf8'));
    assert.ok(html.includes(`&quot;layers&quot;: {`) && html.includes(String(Object.keys(composite.layers)[0])));
    for (const f of ['search-progress.svg', 'importance.svg'])
      assert.match(fs.readFileSync(path.join(out, f), 'utf8'), /^<\?xml[^]*<svg[^]*<\/svg>\s*$/);

    // A folder with a single trial still gets a page (importance all zero).
    const one = path.join(tmp.dir, 'one');
    fs.mkdirSync(one);
    fs.writeFileSync(
      path.join(one, 'trials.jsonl'),
      fs.readFileSync(path.join(out, 'trials.jsonl'), 'utf8').split('\n')[0] + '\n',
    );
    fs.writeFileSync(
      path.join(one, 'run.json'),
      JSON.stringify({ command: 'search', space: run.space, status: 'running' }),
    );
    assert.deepEqual(writeSearchReport(one).sort(), ['importance.svg', 'search-progress.svg', 'search.html']);
    assert.match(fs.readFileSync(path.join(one, 'search.html'), 'utf8'), /at least two trials/);
  });
});
