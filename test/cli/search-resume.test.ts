import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pxp } from '../helpers/pxp';
import { REPO, tempDir } from '../helpers/tmp';

const DEMO = path.join(REPO, 'examples', 'fashion-mnist');
const MODEL = path.join(DEMO, 'model', 'model.json');
const base = [
  '--reference',
  path.join(DEMO, 'reference'),
  '--eval',
  path.join(DEMO, 'test'),
  '--baselines',
  'none',
  '--sampler',
  'random',
  '--seed',
  '2',
];
const settings = ['--eval-limit', '300', '--rates', '0,0.1,0.2,0.3,0.4'];

/** 6. `search --resume` continues only a search it can continue exactly, and never damages the folder it refuses. */
describe('6. search --resume refuses mixed or damaged folders (issue 16)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let done: string;
  before(() => {
    tmp = tempDir();
    done = path.join(tmp.dir, 'done');
    const r = pxp(['search', '--model', MODEL, ...base, ...settings, '--trials', '3', '--out', done]);
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => tmp.cleanup());

  /** A copy of the finished search, edited, then resumed with `args`: refused with exit 2 and left byte for byte. */
  function refusedResume(name: string, args: string[], pattern: RegExp, edit: (dir: string) => void = () => undefined) {
    const dir = path.join(tmp.dir, name);
    fs.cpSync(done, dir, { recursive: true });
    edit(dir);
    const files = () =>
      Object.fromEntries(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));
    const before = files();
    const r = pxp(['search', ...args, '--trials', '5', '--out', dir, '--resume']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, pattern);
    assert.deepEqual(files(), before, 'nothing rewritten');
  }

  it('another model (its weights differ)', () => {
    const other = path.join(tmp.dir, 'other-model');
    fs.cpSync(path.join(DEMO, 'model'), other, { recursive: true });
    const w = fs.readFileSync(path.join(other, 'weights.bin'));
    w.writeFloatLE(w.readFloatLE(0) + 0.5, 0);
    fs.writeFileSync(path.join(other, 'weights.bin'), w);
    refusedResume(
      'model',
      ['--model', path.join(other, 'model.json'), ...base, ...settings],
      /--resume: .*searched another model: .*other-model\/model\.json differs/,
    );
  });

  it('other --rates, other data', () => {
    refusedResume(
      'rates',
      ['--model', MODEL, ...base, '--eval-limit', '300', '--rates', '0,0.2,0.4'],
      /--resume: .*ran with --rates 0,0\.1,0\.2,0\.3,0\.4/,
    );
    refusedResume(
      'data',
      ['--model', MODEL, ...base, '--eval-limit', '200', '--rates', '0,0.1,0.2,0.3,0.4'],
      /--resume: .*evaluation data differ/,
    );
  });

  it('a truncated run.json: exit 2 naming it, not rewritten', () => {
    refusedResume('cut', ['--model', MODEL, ...base, ...settings], /run\.json is not valid JSON/, (dir) => {
      const text = fs.readFileSync(path.join(dir, 'run.json'), 'utf8');
      fs.writeFileSync(path.join(dir, 'run.json'), text.slice(0, text.length / 2));
    });
  });

  it('a null or garbage line inside trials.jsonl: exit 2 naming the line, instead of re-running the trials after it', () => {
    const edit = (bad: string) => (dir: string) => {
      const lines = fs.readFileSync(path.join(dir, 'trials.jsonl'), 'utf8').split('\n');
      lines.splice(1, 0, bad);
      fs.writeFileSync(path.join(dir, 'trials.jsonl'), lines.join('\n'));
    };
    refusedResume(
      'null',
      ['--model', MODEL, ...base, ...settings],
      /trials\.jsonl line 2 is not a trial/,
      edit('null'),
    );
    refusedResume(
      'garbage',
      ['--model', MODEL, ...base, ...settings],
      /trials\.jsonl line 2 is not a trial/,
      edit('{"number": 1, garbage'),
    );
  });

  it('resumes the same search exactly', () => {
    const dir = path.join(tmp.dir, 'same');
    fs.cpSync(done, dir, { recursive: true });
    const r = pxp([
      'search',
      '--model',
      MODEL,
      ...base,
      ...settings,
      '--trials',
      '4',
      '--out',
      dir,
      '--resume',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.trials, 4);
  });
});
