import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PxpError } from '../../../src/core/errors';
import {
  compositeToJson,
  describeRule,
  loadComposite,
  parseComposite,
  presetComposite,
  PRESET_NAMES,
  ruleForLayer,
  type CompositeSpec,
} from '../../../src/core/lrp/composites';
import { CONFORMANCE, tempDir } from '../../helpers/tmp';

/** Asserts a bad-input error whose message starts with the source and mentions every fragment (JSON paths). */
function expectBadInput(fn: () => unknown, mentions: (string | RegExp)[], source?: string): PxpError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PxpError, `expected a PxpError, got ${e}`);
    assert.equal(e.code, 'bad-input');
    if (source) assert.ok(e.message.startsWith(`${source}: `), `message starts with the source: ${e.message}`);
    for (const m of mentions) {
      if (typeof m === 'string') assert.ok(e.message.includes(m), `'${e.message}' mentions '${m}'`);
      else assert.match(e.message, m);
    }
    assert.ok(e.hint && e.hint.length > 5, 'a bad-input error says what to do');
    return e;
  }
  assert.fail('expected an error');
}

const parse = (json: unknown, layerNames?: string[]) => parseComposite(json, 'my.json', layerNames);
const bad = (json: unknown, mentions: (string | RegExp)[], layerNames?: string[]) =>
  expectBadInput(() => parse(json, layerNames), mentions, 'my.json');

describe('composites', () => {
  describe('presets', () => {
    it('lists the five presets', () => {
      assert.deepEqual([...PRESET_NAMES].sort(), [
        'epsilon-alpha2-beta1',
        'epsilon-alpha2-beta1-flat',
        'epsilon-gamma-box',
        'epsilon-plus',
        'epsilon-plus-flat',
      ]);
      assert.equal(presetComposite('nope'), undefined);
      assert.equal(presetComposite('toString'), undefined);
    });

    it('resolves each preset as specified', () => {
      const dense = { rule: 'epsilon', epsilon: 1e-6 };
      const expected: Record<string, { conv: object; first?: object }> = {
        'epsilon-plus': { conv: { rule: 'z-plus' } },
        'epsilon-plus-flat': { conv: { rule: 'z-plus' }, first: { rule: 'flat' } },
        'epsilon-alpha2-beta1': { conv: { rule: 'alpha-beta', alpha: 2, beta: 1 } },
        'epsilon-alpha2-beta1-flat': { conv: { rule: 'alpha-beta', alpha: 2, beta: 1 }, first: { rule: 'flat' } },
        'epsilon-gamma-box': { conv: { rule: 'gamma', gamma: 0.25 }, first: { rule: 'z-box', low: 0, high: 1 } },
      };
      for (const name of PRESET_NAMES) {
        const c = presetComposite(name)!;
        assert.equal(c.name, name);
        assert.deepEqual(c.default, { conv: expected[name].conv, dense });
        assert.deepEqual(c.first, expected[name].first);
        assert.deepEqual(c.layers, {});
        assert.deepEqual(c.canonizers, ['merge-batch-norm']);
        assert.equal(c.attention, undefined);
        assert.deepEqual(loadComposite(name), c);
      }
    });

    it('returns fresh copies', () => {
      const a = presetComposite('epsilon-plus')!;
      a.layers.x = { rule: 'flat' };
      a.canonizers.length = 0;
      assert.deepEqual(presetComposite('epsilon-plus')!.layers, {});
      assert.deepEqual(presetComposite('epsilon-plus')!.canonizers, ['merge-batch-norm']);
    });
  });

  describe('ruleForLayer', () => {
    const c = parse({
      default: { conv: { rule: 'z-plus' }, dense: { rule: 'epsilon', epsilon: 0.01 } },
      first: { rule: 'flat' },
      layers: { conv1: { rule: 'w-square' }, fc2: { rule: 'z-plus' } },
    });
    it('uses layers over first over default', () => {
      assert.deepEqual(ruleForLayer(c, { name: 'conv1', kind: 'conv', isFirst: true }), { rule: 'w-square' });
      assert.deepEqual(ruleForLayer(c, { name: 'conv0', kind: 'conv', isFirst: true }), { rule: 'flat' });
      assert.deepEqual(ruleForLayer(c, { name: 'conv2', kind: 'conv', isFirst: false }), { rule: 'z-plus' });
      assert.deepEqual(ruleForLayer(c, { name: 'fc1', kind: 'dense', isFirst: false }), {
        rule: 'epsilon',
        epsilon: 0.01,
      });
      assert.deepEqual(ruleForLayer(c, { name: 'fc2', kind: 'dense', isFirst: false }), { rule: 'z-plus' });
      assert.deepEqual(ruleForLayer(c, { name: 'fc0', kind: 'dense', isFirst: true }), { rule: 'flat' });
    });
    it('falls back to the default without first', () => {
      const p = presetComposite('epsilon-plus')!;
      assert.deepEqual(ruleForLayer(p, { name: 'c', kind: 'conv', isFirst: true }), { rule: 'z-plus' });
      assert.deepEqual(ruleForLayer(p, { name: 'd', kind: 'dense', isFirst: true }), {
        rule: 'epsilon',
        epsilon: 1e-6,
      });
    });
  });

  describe('describeRule', () => {
    it('formats each rule', () => {
      assert.equal(describeRule({ rule: 'epsilon', epsilon: 1e-6 }), 'epsilon(1e-6)');
      assert.equal(describeRule({ rule: 'epsilon', epsilon: 0.1 }), 'epsilon(0.1)');
      assert.equal(describeRule({ rule: 'epsilon', epsilon: 0 }), 'epsilon(0)');
      assert.equal(describeRule({ rule: 'gamma', gamma: 0.25 }), 'gamma(0.25)');
      assert.equal(describeRule({ rule: 'alpha-beta', alpha: 2, beta: 1 }), 'alpha-beta(2, 1)');
      assert.equal(describeRule({ rule: 'z-box', low: 0, high: 1 }), 'z-box(0, 1)');
      assert.equal(describeRule({ rule: 'z-plus' }), 'z-plus');
      assert.equal(describeRule({ rule: 'flat' }), 'flat');
      assert.equal(describeRule({ rule: 'w-square' }), 'w-square');
    });
  });

  describe('parseComposite defaults', () => {
    it('an empty object is epsilon everywhere with merge-batch-norm', () => {
      const c = parse({});
      assert.deepEqual(c, {
        name: 'my.json',
        default: { conv: { rule: 'epsilon', epsilon: 1e-6 }, dense: { rule: 'epsilon', epsilon: 1e-6 } },
        layers: {},
        canonizers: ['merge-batch-norm'],
      });
    });
    it('fills in omitted parameters with the reference defaults', () => {
      const rule = (r: object) => parse({ first: r }).first;
      assert.deepEqual(rule({ rule: 'epsilon' }), { rule: 'epsilon', epsilon: 1e-6 });
      assert.deepEqual(rule({ rule: 'gamma' }), { rule: 'gamma', gamma: 0.25 });
      assert.deepEqual(rule({ rule: 'alpha-beta' }), { rule: 'alpha-beta', alpha: 2, beta: 1 });
      assert.deepEqual(rule({ rule: 'alpha-beta', alpha: 3 }), { rule: 'alpha-beta', alpha: 3, beta: 2 });
      assert.deepEqual(rule({ rule: 'alpha-beta', beta: 0 }), { rule: 'alpha-beta', alpha: 1, beta: 0 });
      assert.deepEqual(rule({ rule: 'z-box' }), { rule: 'z-box', low: 0, high: 1 });
      assert.deepEqual(rule({ rule: 'z-box', low: -1 }), { rule: 'z-box', low: -1, high: 1 });
    });
    it('fills a missing default.conv or default.dense with epsilon', () => {
      const c = parse({ default: { conv: { rule: 'z-plus' } } });
      assert.deepEqual(c.default.dense, { rule: 'epsilon', epsilon: 1e-6 });
      const d = parse({ default: { dense: { rule: 'flat' } } });
      assert.deepEqual(d.default.conv, { rule: 'epsilon', epsilon: 1e-6 });
    });
    it('an explicit empty canonizer list turns them off', () => {
      assert.deepEqual(parse({ canonizers: [] }).canonizers, []);
    });
    it('reads the attention softmax rule', () => {
      for (const s of ['epsilon', 'z-plus', 'z-plus-vbias', 'cp']) {
        assert.deepEqual(parse({ attention: { softmax: s } }).attention, { softmax: s });
      }
    });
    it('accepts epsilon 0, gamma 0 and z-box low = high', () => {
      assert.deepEqual(parse({ first: { rule: 'epsilon', epsilon: 0 } }).first, { rule: 'epsilon', epsilon: 0 });
      assert.deepEqual(parse({ first: { rule: 'gamma', gamma: 0 } }).first, { rule: 'gamma', gamma: 0 });
      assert.deepEqual(parse({ first: { rule: 'z-box', low: 0.5, high: 0.5 } }).first, {
        rule: 'z-box',
        low: 0.5,
        high: 0.5,
      });
    });
    it('accepts layer names the model has', () => {
      const c = parse({ layers: { conv1: { rule: 'flat' } } }, ['conv1', 'dense1']);
      assert.deepEqual(c.layers, { conv1: { rule: 'flat' } });
    });
  });

  describe('validation', () => {
    it('rejects non-objects', () => {
      for (const v of [null, [], 'x', 3, true]) bad(v, ['expected a JSON object']);
    });
    it('rejects unknown top-level keys', () => {
      const e = bad({ defualt: {} }, ['defualt', 'unknown key']);
      assert.match(e.hint!, /default/);
    });
    it('rejects unknown rules, naming the JSON path', () => {
      const e = bad({ layers: { block1_conv1: { rule: 'epsilom' } } }, [
        "layers.block1_conv1.rule: unknown rule 'epsilom'",
      ]);
      assert.ok(e.message.startsWith("my.json: layers.block1_conv1.rule: unknown rule 'epsilom'"));
      for (const r of ['epsilon', 'z-plus', 'alpha-beta', 'gamma', 'flat', 'w-square', 'z-box']) {
        assert.ok(e.hint!.includes(r), `hint lists ${r}`);
      }
      bad({ first: {} }, ['first.rule', 'missing']);
      bad({ first: { rule: 3 } }, ['first.rule', 'expected a string']);
      bad({ default: { conv: 'z-plus' } }, ['default.conv', 'expected a rule object']);
    });
    it('refuses the pass rule, saying that conv and dense layers need an LRP rule', () => {
      const e = bad({ layers: { fc2: { rule: 'pass' } } }, [
        "layers.fc2.rule: 'pass' is not a rule for conv or dense layers",
      ]);
      assert.match(e.hint!, /give this layer an LRP rule; valid rules: epsilon, z-plus/);
      assert.doesNotMatch(e.hint!, /pass/);
    });
    it('rejects unknown keys inside a rule', () => {
      const e = bad({ default: { conv: { rule: 'gamma', gama: 0.5 } } }, ['default.conv.gama', "unknown key 'gama'"]);
      assert.match(e.hint!, /gamma/);
      bad({ first: { rule: 'flat', epsilon: 1 } }, ['first.epsilon']);
      bad({ default: { conv: { rule: 'z-plus' }, linear: { rule: 'z-plus' } } }, ['default.linear']);
      bad({ attention: { softmax: 'cp', temperature: 1 } }, ['attention.temperature']);
    });
    it('rejects wrong types', () => {
      bad({ default: { dense: { rule: 'epsilon', epsilon: '0.1' } } }, ['default.dense.epsilon', 'expected a number']);
      bad({ default: [] }, ['default', 'expected an object']);
      bad({ layers: [] }, ['layers', 'expected an object']);
      bad({ canonizers: 'merge-batch-norm' }, ['canonizers', 'expected an array']);
      bad({ canonizers: [1] }, ['canonizers[0]', 'expected a string']);
      bad({ attention: 'cp' }, ['attention', 'expected an object']);
      bad({ attention: {} }, ['attention.softmax', 'missing']);
      bad({ attention: { softmax: 1 } }, ['attention.softmax', 'expected a string']);
      bad({ first: { rule: 'z-box', low: null } }, ['first.low', 'expected a number']);
    });
    it('checks parameter ranges', () => {
      bad({ first: { rule: 'epsilon', epsilon: -1 } }, ['first.epsilon', '>= 0']);
      bad({ first: { rule: 'epsilon', epsilon: Infinity } }, ['first.epsilon', 'finite']);
      bad({ first: { rule: 'epsilon', epsilon: NaN } }, ['first.epsilon', 'finite']);
      bad({ layers: { c: { rule: 'gamma', gamma: -0.1 } } }, ['layers.c.gamma', '>= 0']);
      bad({ first: { rule: 'alpha-beta', alpha: 2, beta: 2 } }, ['first.alpha', 'alpha - beta must equal 1']);
      bad({ first: { rule: 'alpha-beta', alpha: 0.5, beta: -0.5 } }, ['first.beta', 'beta must be >= 0']);
      bad({ first: { rule: 'alpha-beta', alpha: 0.5 } }, ['first.alpha', 'beta must be >= 0']);
      bad({ first: { rule: 'z-box', low: 1, high: 0 } }, ['first.low', 'low must be <= high']);
      // within the tolerance
      assert.deepEqual(parse({ first: { rule: 'alpha-beta', alpha: 1.3, beta: 0.3 } }).first, {
        rule: 'alpha-beta',
        alpha: 1.3,
        beta: 0.3,
      });
    });
    it('rejects unknown canonizers and softmax rules', () => {
      const e = bad({ canonizers: ['merge-batch-norm', 'merge-bn'] }, [
        'canonizers[1]',
        "unknown canonizer 'merge-bn'",
      ]);
      assert.match(e.hint!, /merge-batch-norm/);
      const s = bad({ attention: { softmax: 'softmax' } }, ['attention.softmax', "unknown softmax rule 'softmax'"]);
      assert.match(s.hint!, /z-plus-vbias/);
    });
    it('rejects layer names the model does not have, listing real ones', () => {
      const names = ['block1_conv1', 'block1_conv2', 'block2_conv1', 'fc1', 'predictions'];
      const e = bad({ layers: { block1_conv3: { rule: 'flat' } } }, ['layers.block1_conv3', "'block1_conv3'"], names);
      assert.match(e.hint!, /block1_conv1/);
      // without layerNames any name is accepted
      assert.ok(parse({ layers: { block1_conv3: { rule: 'flat' } } }).layers.block1_conv3);
    });
  });

  describe('round trip', () => {
    it('compositeToJson then parseComposite gives the same spec', () => {
      const specs: CompositeSpec[] = PRESET_NAMES.map((n) => presetComposite(n)!);
      specs.push(
        parse({
          default: { conv: { rule: 'alpha-beta', alpha: 1.5, beta: 0.5 }, dense: { rule: 'epsilon', epsilon: 0.1 } },
          first: { rule: 'z-box', low: -2, high: 3 },
          layers: { a: { rule: 'w-square' }, b: { rule: 'flat' }, c: { rule: 'gamma', gamma: 2 } },
          canonizers: [],
          attention: { softmax: 'z-plus-vbias' },
        }),
      );
      for (const spec of specs) {
        const json = JSON.parse(JSON.stringify(compositeToJson(spec)));
        const back = parseComposite(json, spec.name);
        assert.deepEqual(back, spec);
      }
    });
  });

  describe('loadComposite', () => {
    it('loads the conformance gamma/epsilon composite', () => {
      const file = path.join(CONFORMANCE, 'cnn', 'expected', 'json-gamma0.1-eps0.1', 'composite.json');
      const c = loadComposite(file);
      assert.equal(c.name, file);
      assert.deepEqual(c.default.conv, { rule: 'gamma', gamma: 0.1 });
      assert.deepEqual(c.default.dense, { rule: 'epsilon', epsilon: 0.1 });
      assert.equal(describeRule(ruleForLayer(c, { name: 'x', kind: 'conv', isFirst: true })), 'gamma(0.1)');
      assert.equal(describeRule(ruleForLayer(c, { name: 'y', kind: 'dense', isFirst: false })), 'epsilon(0.1)');
      assert.deepEqual(c.canonizers, ['merge-batch-norm']);
    });

    it('reports missing files, non-presets, invalid JSON and bad content', () => {
      const { dir, cleanup } = tempDir();
      try {
        const e = expectBadInput(() => loadComposite('epsilon-plus-flatt'), ['epsilon-plus-flatt', 'neither a preset']);
        assert.match(e.hint!, /epsilon-gamma-box/);
        expectBadInput(() => loadComposite(path.join(dir, 'missing.json')), ['missing.json']);
        expectBadInput(() => loadComposite(dir), ['not a file']);
        const broken = path.join(dir, 'broken.json');
        fs.writeFileSync(broken, '{"default": ');
        expectBadInput(() => loadComposite(broken), ['invalid JSON'], broken);
        const typo = path.join(dir, 'typo.json');
        fs.writeFileSync(typo, JSON.stringify({ layers: { block1_conv1: { rule: 'epsilom' } } }));
        expectBadInput(() => loadComposite(typo), ["layers.block1_conv1.rule: unknown rule 'epsilom'"], typo);
        expectBadInput(() => loadComposite(typo.replace('typo', 'ok'), ['a']), ['ok.json']);
        const named = path.join(dir, 'named.json');
        fs.writeFileSync(named, JSON.stringify({ layers: { nope: { rule: 'flat' } } }));
        expectBadInput(() => loadComposite(named, ['conv1', 'fc1']), ['layers.nope'], named);
        assert.deepEqual(loadComposite(named).layers, { nope: { rule: 'flat' } });
      } finally {
        cleanup();
      }
    });
  });
});
