import assert from 'node:assert/strict';
import { isFromWebview, isPanelState, isToWebview } from '../../../src/protocol/webview';
import { readDiffView } from '../../../src/views/diff-view';
import { readRelevanceView } from '../../../src/views/relevance-view';
import { readSearchSnapshot } from '../../../src/views/search-view';
import { demoRuns } from './demo-runs';

describe('webview protocol: messages from a webview', () => {
  it('accepts the three messages a panel sends', () => {
    assert.ok(isFromWebview({ type: 'ready' }));
    assert.ok(isFromWebview({ type: 'revealLayer', layer: 'block1_conv1' }));
    assert.ok(isFromWebview({ type: 'openRunFile', file: 'report.html' }));
    assert.ok(isFromWebview({ type: 'requestHeatmap', sample: 17 }));
    assert.ok(isFromWebview({ type: 'openRelevance' }));
  });

  it('rejects malformed ones before the host acts on them', () => {
    const bad: unknown[] = [
      null,
      undefined,
      'ready',
      42,
      [],
      { type: 'ready ' },
      { type: 'execute', command: 'rm -rf /' },
      { type: 'revealLayer' },
      { type: 'revealLayer', layer: 7 },
      { type: 'revealLayer', layer: '' },
      { type: 'revealLayer', layer: 'fc1\n"name": "x"' },
      { type: 'revealLayer', layer: 'x'.repeat(257) },
      { type: 'openRunFile', file: '../../../etc/passwd' },
      { type: 'openRunFile', file: '/home/user/.ssh/id_rsa' },
      { type: 'openRunFile' },
      { type: 'requestHeatmap', sample: -1 },
      { type: 'requestHeatmap', sample: 1.5 },
      { type: 'requestHeatmap', sample: '3' },
      { type: 'requestHeatmap', sample: Number.POSITIVE_INFINITY },
    ];
    for (const m of bad) assert.equal(isFromWebview(m), false, JSON.stringify(m));
  });

  it('checks a restored panel state before the serializer reopens a panel', () => {
    assert.ok(isPanelState({ kind: 'search', runDir: '/runs/s1' }));
    assert.ok(isPanelState({ kind: 'relevance', runDir: '/runs/a', modelPath: '/m/model.json' }));
    for (const s of [
      null,
      {},
      { kind: 'relevance' },
      { kind: 'terminal', runDir: '/x' },
      { kind: 'diff', runDir: '' },
      { kind: 'diff', runDir: 3 },
      { kind: 'diff', runDir: '/x', modelPath: 1 },
    ]) {
      assert.equal(isPanelState(s), false, JSON.stringify(s));
    }
  });
});

describe('webview protocol: messages to a webview', function () {
  this.timeout(300_000);

  it('accepts the views of real run folders', () => {
    const runs = demoRuns();
    assert.ok(isToWebview({ type: 'show', view: readRelevanceView(runs.attribution) }));
    assert.ok(isToWebview({ type: 'show', view: readDiffView(runs.pruned) }));
    const { view } = readSearchSnapshot(runs.search);
    assert.ok(isToWebview({ type: 'show', view }));
    assert.ok(
      isToWebview({
        type: 'trialsAppended',
        trials: view.trials.slice(1),
        bestSoFar: view.bestSoFar,
        importance: view.importance,
      }),
    );
    assert.ok(isToWebview({ type: 'showError', message: 'x has no run.json' }));
    assert.ok(isToWebview({ type: 'heatmap', sample: 20, heatmap: 'data:image/png;base64,iVBORw0KGgo=' }));
    assert.ok(isToWebview({ type: 'heatmap', sample: 20 }));
  });

  it('rejects broken or hostile content', () => {
    const runs = demoRuns();
    const relevance = readRelevanceView(runs.attribution);
    const diff = readDiffView(runs.pruned);
    const { view: search } = readSearchSnapshot(runs.search);
    const bad: unknown[] = [
      { type: 'show' },
      { type: 'show', view: { ...relevance, kind: 'other' } },
      { type: 'show', view: { ...relevance, layers: [{ ...relevance.layers[0], mean: ['1'] }] } },
      // A heatmap must be an inline PNG: no remote or file URL sneaks into an <img>.
      {
        type: 'show',
        view: { ...relevance, samples: [{ ...relevance.samples[0], heatmap: 'https://example.com/x.png' }] },
      },
      {
        type: 'show',
        view: { ...relevance, samples: [{ ...relevance.samples[0], heatmap: 'data:text/html;base64,PHNjcmlwdD4=' }] },
      },
      { type: 'show', view: { ...diff, summary: { ...diff.summary, timesSmaller: '5×' } } },
      { type: 'show', view: { ...diff, layers: [{ ...diff.layers[0], params: { original: 1 } }] } },
      // Every declared field is checked, the model too (the hand-written validator once skipped it).
      { type: 'show', view: { ...diff, model: undefined } },
      { type: 'show', view: { ...search, best: { number: 3 } } },
      { type: 'show', view: { ...search, status: 'paused' } },
      { type: 'trialsAppended', trials: [{ ...search.trials[0], auc: '0.4' }], bestSoFar: [], importance: [] },
      { type: 'trialsAppended', trials: [{ ...search.trials[0], label: undefined }], bestSoFar: [], importance: [] },
      { type: 'trialsAppended', trials: [], bestSoFar: [], importance: [{ name: 'x', importance: NaN }] },
      { type: 'showError' },
      { type: 'heatmap', sample: 3, heatmap: 'file:///etc/passwd' },
      { type: 'heatmap', sample: -3 },
      { type: 'eval', code: 'alert(1)' },
    ];
    for (const m of bad) assert.equal(isToWebview(m), false, JSON.stringify(m).slice(0, 120));
  });
});
