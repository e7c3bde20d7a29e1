import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { renderRunReport } from '../../src/core/report/run-report';
import { pxp } from '../helpers/pxp';
import { REPO, tempDir } from '../helpers/tmp';

const DEMO = path.join(REPO, 'examples', 'fashion-mnist');

describe('run reports', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  it('pxp prune writes report.html and curve.svg, cost.svg, layers.svg into the run folder', () => {
    const out = path.join(tmp.dir, 'run');
    const args = [
      '--model',
      path.join(DEMO, 'model', 'model.json'),
      '--reference',
      path.join(DEMO, 'reference'),
      '--eval',
      path.join(DEMO, 'test'),
    ];
    const r = pxp(['prune', ...args, '--criterion', 'weight', '--rates', '0,0.2,0.4', '--out', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    for (const f of ['report.html', 'curve.svg', 'cost.svg', 'layers.svg'])
      assert.ok(fs.existsSync(path.join(out, f)), f);
    const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
    assert.ok(html.includes(r.json.auc.toFixed(4)), 'the AUC');
    assert.ok(html.includes('<code>weight</code>'), 'the criterion');
    assert.ok(html.includes('block1_conv1'), 'a layer of the model');
    assert.equal((html.match(/<svg /g) ?? []).length, 3, 'the three charts inline');
    assert.ok(
      !/<script|https?:\/\//.test(html.replaceAll('http://www.w3.org/2000/svg', '')),
      'self-contained: no scripts, no external assets',
    );
    assert.equal(renderRunReport(out), html, 'rendering again gives the same page');
    const curve = fs.readFileSync(path.join(out, 'curve.svg'), 'utf8');
    assert.match(curve, /^<\?xml [^>]*\?>\n<svg /);
    assert.equal((curve.match(/<polyline /g) ?? []).length, 1);
  });
});
