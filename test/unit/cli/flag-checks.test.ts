import assert from 'node:assert/strict';
import os from 'node:os';
import { COMMON_OPTIONS, type Command, type CommandContext } from '../../../src/cli/command';
import { workersFlag } from '../../../src/cli/flags';
import { COMMANDS } from '../../../src/cli/registry';
import { checkCommandFlags, runCommand } from '../../../src/cli/run-command';
import { PxpError } from '../../../src/core/errors';

/** Values no check may accept, by the kind of value a flag's placeholder announces. */
const BAD_VALUES: Record<string, string[]> = {
  N: ['abc', '1.5', '-1', '1e400', '0x'],
  P: ['abc', '1', '-0.1', 'NaN'],
  X: ['abc', '-1', 'Infinity'],
  S: ['abc', '-5'],
  POINTS: ['abc', '150', '-1'],
  LIST: ['0,abc', '0,1.2', '0,,0.2'],
  'LO,HI': ['0', '1,0', 'a,b', '0,1,2'],
  NAME: ['bogus-name'],
  MODE: ['bogus-mode'],
  KIND: ['bogus-kind'],
};

const usage = (e: unknown) => e instanceof PxpError && e.code === 'usage';
const options = (cmd: Command) => Object.entries({ ...cmd.options, ...COMMON_OPTIONS });

describe('flags: every value is checked before a command starts, with one exit-code rule', () => {
  it('every flag whose placeholder announces a number, a rate, a list, a range or a choice declares a check', () => {
    const unchecked = COMMANDS.flatMap((cmd) =>
      options(cmd)
        .filter(([, o]) => o.type === 'string' && o.placeholder && o.placeholder in BAD_VALUES && !o.value)
        .map(([n]) => `${cmd.name} --${n}`),
    );
    // --preprocess NAME is a preset or a JSON file, checked as such; everything else must declare its check.
    assert.deepEqual(
      unchecked.filter((f) => !/--preprocess$/.test(f)),
      [],
    );
  });

  for (const cmd of COMMANDS) {
    it(`pxp ${cmd.name}: a malformed or empty value is a usage error (exit 1), and the command never starts`, async () => {
      let started = 0;
      const spy: Command = { ...cmd, required: [], run: async () => (started++, { value: null, text: '' }) };
      const ctx: CommandContext = {
        json: true,
        force: false,
        backend: 'auto',
        progress: () => {},
        log: () => {},
        signal: new AbortController().signal,
      };
      let checked = 0;
      for (const [name, o] of options(cmd)) {
        if (o.type !== 'string') continue;
        // --preprocess takes a preset or a JSON file: a name that is neither is a missing file (bad input, checked below).
        const bad = [
          '',
          ' ',
          ...(o.value && o.placeholder && name !== 'preprocess' ? (BAD_VALUES[o.placeholder] ?? []) : []),
        ];
        for (const v of bad) {
          await assert.rejects(runCommand(spy, { [name]: v }, ctx), (e: unknown) => {
            assert.ok(
              usage(e),
              `${cmd.name} --${name} '${v}': ${e instanceof PxpError ? `${e.code}: ${e.message}` : e}`,
            );
            assert.match((e as Error).message, new RegExp(`--${name}`), 'the message names the flag');
            return true;
          });
          checked++;
        }
      }
      assert.equal(started, 0);
      assert.ok(checked > 0);
    });
  }

  it('unknown flags, flags of the wrong type, missing required flags: usage errors', () => {
    const prune = COMMANDS.find((c) => c.name === 'prune')!;
    assert.throws(
      () => checkCommandFlags(prune, { model: 'm', out: 'o', colour: 'red' }),
      (e: unknown) => usage(e) && /has no --colour/.test((e as Error).message),
    );
    assert.throws(
      () => checkCommandFlags(prune, { model: 'm', out: 'o', signed: 'yes' }),
      (e: unknown) => usage(e) && /--signed takes no value/.test((e as Error).message),
    );
    assert.throws(
      () => checkCommandFlags(prune, { model: 'm' }),
      (e: unknown) => usage(e) && /--out is required/.test((e as Error).message),
    );
  });

  it('a value naming a file that is missing (a composite, a preprocessing spec) is bad input (exit 2), still before the command starts', () => {
    const prune = COMMANDS.find((c) => c.name === 'prune')!;
    const badInput = (e: unknown) => e instanceof PxpError && e.code === 'bad-input';
    assert.throws(
      () => checkCommandFlags(prune, { model: 'm', out: 'o', criterion: 'lrp:/no/such/composite.json' }),
      badInput,
    );
    assert.throws(() => checkCommandFlags(prune, { model: 'm', out: 'o', preprocess: '/no/such/spec.json' }), badInput);
    const search = COMMANDS.find((c) => c.name === 'search')!;
    assert.throws(
      () => checkCommandFlags(search, { model: 'm', out: 'o', baselines: 'taylor,lrp:/no/such.json' }),
      badInput,
    );
    assert.throws(() => checkCommandFlags(search, { model: 'm', out: 'o', baselines: 'taylor,bogus' }), usage);
  });

  it('good values pass', () => {
    const prune = COMMANDS.find((c) => c.name === 'prune')!;
    checkCommandFlags(prune, {
      model: 'm',
      out: 'o',
      rates: '0,0.1,0.5',
      rate: '0.3',
      seed: '4',
      'finetune-epochs': '0',
      normalize: 'mean',
      criterion: 'taylor',
      'input-range': '0,255',
      'max-drop': '1.5',
    });
  });

  it('--workers is capped at the cores of the machine, with a note', () => {
    const cores = os.availableParallelism();
    const notes: string[] = [];
    assert.equal(
      workersFlag({ workers: '99' }, 1, (l) => notes.push(l)),
      Math.min(99, cores),
    );
    assert.equal(
      workersFlag({}, 1, (l) => notes.push(l)),
      1,
    );
    if (cores < 99) assert.match(notes[0], new RegExp(`--workers 99: capped at ${cores}`));
  });
});
