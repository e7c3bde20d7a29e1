import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { CONFIG_SETTINGS, lineColumn, parseTaskConfig } from '../../../src/extension/task-config';
import { REPO } from '../../helpers/tmp';

const CONFIG = '/ws/sub/pxp.config.json';
const text = (o: unknown) => JSON.stringify(o, null, 2);

describe('pxp.config.json for workspace tasks', () => {
  it('turns a prune config into the flags of pxp prune, paths relative to the config file', () => {
    const r = parseTaskConfig(
      text({
        model: 'model/model.json',
        reference: 'reference',
        eval: 'test',
        criterion: 'taylor',
        rate: 0.3,
        rates: [0, 0.5],
        evalLimit: 200,
      }),
      CONFIG,
      'prune',
    );
    assert.ok(r.ok);
    assert.deepEqual(r.flags, {
      model: '/ws/sub/model/model.json',
      reference: '/ws/sub/reference',
      eval: '/ws/sub/test',
      'eval-limit': '200',
      rates: '0,0.5',
      criterion: 'taylor',
      rate: '0.3',
    });
    assert.equal(r.command, 'prune');
  });

  it('"maxDrop" becomes --max-drop and "normalize" --normalize; a bad value, or "maxDrop" with "rate", is an error at its key', () => {
    const r = parseTaskConfig(text({ model: 'm.json', data: 'd', maxDrop: 1.5, normalize: 'mean' }), CONFIG, 'prune');
    assert.ok(r.ok);
    assert.equal(r.flags['max-drop'], '1.5');
    assert.equal(r.flags.normalize, 'mean');
    const search = parseTaskConfig(text({ model: 'm.json', data: 'd', normalize: 'max' }), CONFIG, 'search');
    assert.ok(search.ok);
    assert.equal(search.flags.normalize, 'max');
    const n = parseTaskConfig(text({ model: 'm.json', data: 'd', normalize: 'z' }), CONFIG, 'prune');
    assert.ok(!n.ok);
    assert.match(n.errors[0].message, /"normalize" must be "none", "mean" or "max"/);
    const both = parseTaskConfig(
      '{\n  "model": "m.json",\n  "data": "d",\n  "rate": 0.3,\n  "maxDrop": 1\n}',
      CONFIG,
      'prune',
    );
    assert.ok(!both.ok);
    assert.deepEqual(both.errors, [
      { line: 5, column: 3, message: '"maxDrop" and "rate" both choose the physical rate: give one of them' },
    ]);
    const bad = parseTaskConfig(text({ model: 'm.json', data: 'd', maxDrop: -2 }), CONFIG, 'prune');
    assert.ok(!bad.ok);
    assert.match(bad.errors[0].message, /"maxDrop" must be accuracy points in \[0, 100\], got -2/);
  });

  it('gives search its trials (default 20) and attribute the reference samples and composite', () => {
    const s = parseTaskConfig(
      text({ model: 'm.json', data: '/data/fmnist', search: { trials: 5, sampler: 'random' } }),
      CONFIG,
      'search',
    );
    assert.ok(s.ok);
    assert.deepEqual(s.flags, { model: '/ws/sub/m.json', data: '/data/fmnist', trials: '5', sampler: 'random' });
    const d = parseTaskConfig(text({ model: 'm.json', data: '/d' }), CONFIG, 'search');
    assert.ok(d.ok && d.flags.trials === '20');
    const a = parseTaskConfig(
      text({ model: 'm.json', reference: 'ref', composite: 'epsilon-gamma-box' }),
      CONFIG,
      'attribute',
    );
    assert.ok(a.ok);
    assert.deepEqual(a.flags, {
      model: '/ws/sub/m.json',
      inputs: path.join('/ws/sub/ref', 'x.npy'),
      targets: path.join('/ws/sub/ref', 'y.npy'),
      composite: 'epsilon-gamma-box',
    });
  });

  it('reads train settings from "train" with the top-level data as fallback', () => {
    const t = parseTaskConfig(text({ data: 'ds', train: { arch: 'resnet', epochs: 2, limit: 640 } }), CONFIG, 'train');
    assert.ok(t.ok);
    assert.deepEqual(t.flags, { data: '/ws/sub/ds', arch: 'resnet', epochs: '2', limit: '640' });
  });

  it('locates a bad value at the line and column of its key', () => {
    const src = '{\n  "model": "m.json",\n  "data": "d",\n  "rate": 1.5\n}';
    const r = parseTaskConfig(src, CONFIG, 'prune');
    assert.ok(!r.ok);
    assert.deepEqual(r.errors, [{ line: 4, column: 3, message: '"rate" must be a fraction in [0, 1), got 1.5' }]);
  });

  it('reports several errors at once: unknown settings, a nested bad value, missing data', () => {
    const src = '{\n  "model": "m.json",\n  "critrion": "taylor",\n  "search": {\n    "trials": 0\n  }\n}';
    const r = parseTaskConfig(src, CONFIG, 'search');
    assert.ok(!r.ok);
    assert.deepEqual(
      r.errors.map((e) => [e.line, e.column]),
      [
        [3, 3],
        [1, 1],
        [5, 5],
      ],
    );
    assert.match(r.errors[0].message, /unknown setting "critrion"/);
    assert.match(r.errors[1].message, /data is missing/);
    assert.match(r.errors[2].message, /"trials" must be an integer ≥ 1/);
  });

  it('points a JSON syntax error at its position', () => {
    const src = '{\n  "model": "m.json",\n  "data": "d"\n  "rate": 0.5\n}';
    const r = parseTaskConfig(src, CONFIG, 'prune');
    assert.ok(!r.ok);
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0].line, 4);
    assert.match(r.errors[0].message, /not valid JSON/);
  });

  it('refuses a task command it does not know and data given twice', () => {
    const r = parseTaskConfig('{}', CONFIG, 'export');
    assert.ok(!r.ok && /not one of prune, search, attribute, train/.test(r.errors[0].message));
    const both = parseTaskConfig(text({ model: 'm.json', data: 'd', reference: 'r', eval: 'e' }), CONFIG, 'prune');
    assert.ok(!both.ok && /either "data", or "reference" and "eval"/.test(both.errors[0].message));
  });

  it('converts offsets to 1-based lines and columns', () => {
    assert.deepEqual(lineColumn('ab\ncd', 0), { line: 1, column: 1 });
    assert.deepEqual(lineColumn('ab\ncd', 4), { line: 2, column: 2 });
  });

  it('agrees with the JSON schema the editor validates pxp.config.json against, and the demo config is valid', () => {
    const schema = JSON.parse(fs.readFileSync(path.join(REPO, 'schemas', 'pxp.config.schema.json'), 'utf8'));
    assert.deepEqual(Object.keys(schema.properties).sort(), [...CONFIG_SETTINGS].sort());
    const manifest = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
    assert.deepEqual(manifest.contributes.jsonValidation, [
      { fileMatch: 'pxp.config.json', url: './schemas/pxp.config.schema.json' },
    ]);
    const demo = path.join(REPO, 'examples', 'fashion-mnist', 'pxp.config.json');
    for (const command of ['prune', 'search', 'attribute']) {
      const r = parseTaskConfig(fs.readFileSync(demo, 'utf8'), demo, command);
      assert.ok(r.ok, `${command}: ${JSON.stringify(!r.ok && r.errors)}`);
    }
  });

  it('prints errors in the form the $pxp-config problem matcher reads', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
    const matcher = manifest.contributes.problemMatchers.find((m: { name: string }) => m.name === 'pxp-config');
    const m = new RegExp(matcher.pattern.regexp).exec(
      'sub/pxp.config.json:4:3: error: "rate" must be a fraction in [0, 1), got 1.5',
    );
    assert.ok(m);
    assert.deepEqual(
      [m[matcher.pattern.file], m[matcher.pattern.line], m[matcher.pattern.column], m[matcher.pattern.severity]],
      ['sub/pxp.config.json', '4', '3', 'error'],
    );
  });
});
