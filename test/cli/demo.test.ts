import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pxp } from '../helpers/pxp';
import { tempDir } from '../helpers/tmp';

describe('pxp demo tells its story as it goes (issue 17 item 11)', function () {
  this.timeout(1_200_000);
  let tmp: ReturnType<typeof tempDir>;
  before(() => (tmp = tempDir()));
  after(() => tmp.cleanup());

  it('prints each step when it is done, then a summary naming every file to open, one chart of all curves among them', () => {
    const out = path.join(tmp.dir, 'demo');
    const r = pxp(['demo', '--out', out], { timeoutMs: 1_100_000 });
    assert.equal(r.code, 0, r.stderr);
    // The steps, in the order they ran, on stderr as they finished (progress lines are interleaved there).
    const steps = [
      '== model ==',
      '== evaluation on the embedded test slice ==',
      '== LRP relevance of the 100 reference images',
      '== pruning by lrp:epsilon-plus-flat: AUC',
      '== pruning by taylor: AUC',
      '== pruning by random: AUC',
      '== composite search, 8 trials: best AUC',
    ];
    const at = steps.map((s) => r.stderr.indexOf(s));
    assert.ok(
      at.every((i) => i >= 0),
      `every step is printed: ${steps.filter((_, i) => at[i] < 0).join(', ')}`,
    );
    assert.deepEqual(
      [...at].sort((a, b) => a - b),
      at,
      'in the order they ran',
    );
    // stdout: the summary only, whose files all exist.
    assert.match(r.stdout, /^== summary: /);
    assert.ok(!r.stdout.includes('== model =='), 'the steps are not repeated at the end');
    const files = [...r.stdout.matchAll(/^ {2}(\/\S+) {2}/gm)].map((m) => m[1]);
    for (const want of [
      'search/search.html',
      'compare/compare.html',
      'prune-random/report.html',
      'attribution/heatmaps',
    ])
      assert.ok(
        files.some((f) => f.endsWith(want)),
        `${want} is named: ${files.join(' ')}`,
      );
    for (const f of files) assert.ok(fs.existsSync(f), `${f} exists`);
    // The comparison chart holds every curve: three criteria and the searched composite.
    const html = fs.readFileSync(path.join(out, 'compare', 'compare.html'), 'utf8');
    assert.equal((html.match(/<g class="series[^"]*" data-series=/g) ?? []).length, 4);
  });
});
