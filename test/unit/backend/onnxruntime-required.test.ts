import assert from 'node:assert/strict';
import { onnxRuntimeRequired } from '../../helpers/onnxruntime';

describe('onnxruntime suites fail instead of skipping where onnxruntime is required', () => {
  it('requires it in CI and when PXP_REQUIRE_ONNXRUNTIME asks, and PXP_REQUIRE_ONNXRUNTIME=0 overrides CI', () => {
    const cases: [Record<string, string | undefined>, boolean][] = [
      [{}, false],
      [{ CI: 'true' }, true],
      [{ CI: '1' }, true],
      [{ CI: 'false' }, false],
      [{ CI: '' }, false],
      [{ PXP_REQUIRE_ONNXRUNTIME: '1' }, true],
      [{ PXP_REQUIRE_ONNXRUNTIME: '0', CI: 'true' }, false],
      [{ PXP_REQUIRE_ONNXRUNTIME: 'false', CI: 'true' }, false],
      [{ PXP_REQUIRE_ONNXRUNTIME: '', CI: 'true' }, true],
    ];
    for (const [env, want] of cases) assert.equal(onnxRuntimeRequired(env), want, JSON.stringify(env));
  });
});
