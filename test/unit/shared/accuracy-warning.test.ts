import assert from 'node:assert/strict';
import { accuracyWarning, classCountOf } from '../../../src/shared/accuracy-warning';

describe('accuracy warning of a pruned model', () => {
  it('calls a model near chance collapsed: the demo CNN at rate 0.5 (93.0 % → 9.6 %, 10 classes)', () => {
    const w = accuracyWarning(0.93, 0.096, 10);
    assert.equal(w?.kind, 'collapse');
    assert.match(w!.text, /9\.6 % is near chance \(10\.0 % for 10 classes\), from 93\.0 % unpruned/);
    // The margin over chance: (0.93 − 0.1) / 4 = 0.2075 above chance is the edge, by hand.
    assert.equal(accuracyWarning(0.93, 0.1 + 0.2075, 10)?.kind, 'collapse');
    assert.equal(accuracyWarning(0.93, 0.1 + 0.21, 10)?.kind, 'drop');
  });

  it('warns of a drop beyond 5 points, and says nothing within them', () => {
    assert.deepEqual(accuracyWarning(0.93, 0.85, 10), {
      kind: 'drop',
      text: 'The pruned model lost 8.0 points of accuracy (93.0 % → 85.0 %); fine-tune it or remove less.',
    });
    assert.equal(accuracyWarning(0.93, 0.885, 10), undefined);
    assert.equal(accuracyWarning(0.93, 0.95, 10), undefined);
    // Without the number of classes only the drop can be judged.
    assert.equal(accuracyWarning(0.93, 0.096)?.kind, 'drop');
  });

  it('takes the classes from --classes, else from the last layer with components in run.json', () => {
    assert.equal(classCountOf({ classes: [0, 3, 7] }), 3);
    const layers = [
      { name: 'conv', components: { original: 16, pruned: 8 } },
      { name: 'flatten' },
      { name: 'dense', components: { original: 10, pruned: 10 } },
      { name: 'softmax' },
    ];
    assert.equal(classCountOf({ classes: null, physical: { layers } }), 10);
    assert.equal(classCountOf({}), undefined);
  });
});
