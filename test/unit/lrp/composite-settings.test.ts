import assert from 'node:assert/strict';
import { PxpError } from '../../../src/core/errors';
import { compositeToJson, parseComposite } from '../../../src/core/lrp/composites';

const parse = (json: unknown) => parseComposite(json, 'best.json');
const refused = (json: unknown, pattern: RegExp) =>
  assert.throws(
    () => parse(json),
    (e: unknown) => e instanceof PxpError && e.code === 'bad-input' && pattern.test(e.message) && !!e.hint,
  );

describe('what a searched composite carries besides rules: init, abs_sort, least_relevant_first', () => {
  it('reads them, and writes them back so that parsing again gives the same composite', () => {
    const c = parse({
      default: { conv: { rule: 'z-plus' } },
      init: 'logit',
      abs_sort: false,
      least_relevant_first: true,
    });
    assert.deepEqual([c.init, c.absSort, c.leastRelevantFirst], ['logit', false, true]);
    const json = compositeToJson(c) as Record<string, unknown>;
    assert.deepEqual([json.init, json.abs_sort, json.least_relevant_first], ['logit', false, true]);
    assert.deepEqual(parse(json), c);
  });

  it('leaves them unset when the file does not say (a preset-like composite)', () => {
    const c = parse({ default: { conv: { rule: 'z-plus' } } });
    assert.deepEqual([c.init, c.absSort, c.leastRelevantFirst], [undefined, undefined, undefined]);
    assert.ok(!('init' in (compositeToJson(c) as object)));
  });

  it('validates them strictly, naming the file and the key', () => {
    refused({ init: 'onehot' }, /^best\.json: init: unknown initial relevance 'onehot'/);
    refused({ init: 1 }, /^best\.json: init: expected a string/);
    refused({ abs_sort: 'true' }, /^best\.json: abs_sort: expected true or false, got the string "true"/);
    refused({ least_relevant_first: 0 }, /^best\.json: least_relevant_first: expected true or false/);
    refused({ abs_srot: true }, /did you mean|unknown key 'abs_srot'/);
  });
});
