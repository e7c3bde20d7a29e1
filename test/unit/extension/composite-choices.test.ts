import assert from 'node:assert/strict';
import { BROWSE_COMPOSITE, compositeChoices } from '../../../src/extension/composite-choices';

describe('composites offered by Compute Relevance… and Prune Model… (issue 17 item 9)', () => {
  const files = [
    { path: '/ws/my.composite.json', mtimeMs: 300 },
    { path: '/ws/.pxp/runs/search-1/best-composite.json', mtimeMs: 100 },
    { path: '/ws/.pxp/runs/search-2/best-composite.json', mtimeMs: 200 },
  ];

  it('lists the presets, then the searched best-composite.json files newest first, other JSON composites, a file chooser', () => {
    const c = compositeChoices(['epsilon-plus', 'epsilon-plus-flat'], files, '/ws');
    assert.deepEqual(
      c.map((x) => x.label),
      [
        'epsilon-plus',
        'epsilon-plus-flat',
        '.pxp/runs/search-2/best-composite.json',
        '.pxp/runs/search-1/best-composite.json',
        'my.composite.json',
        BROWSE_COMPOSITE,
      ],
    );
    assert.deepEqual(
      c.map((x) => x.value),
      ['epsilon-plus', 'epsilon-plus-flat', files[2].path, files[1].path, files[0].path, undefined],
    );
    assert.equal(c[2].description, 'searched composite (pxp search)');
  });

  it('prefixes the labels as criteria for Prune Model…, the values stay composites', () => {
    const c = compositeChoices(['epsilon-plus'], files.slice(1, 2), '/ws', 'lrp:');
    assert.deepEqual(
      c.map((x) => x.label),
      ['lrp:epsilon-plus', 'lrp:.pxp/runs/search-1/best-composite.json', BROWSE_COMPOSITE],
    );
    assert.equal(c[1].value, files[1].path);
  });
});
