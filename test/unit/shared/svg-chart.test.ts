import assert from 'node:assert/strict';
import {
  PALETTE,
  barChart,
  escapeXml,
  integerTicks,
  lineChart,
  niceTicks,
  standaloneSvg,
  type LineChartSpec,
} from '../../../src/shared/svg-chart';

const spec = (): LineChartSpec => ({
  title: 'Accuracy <vs> rate & more',
  xLabel: 'pruning rate',
  yLabel: 'accuracy',
  series: [
    {
      name: 'lrp:epsilon<plus>&flat',
      points: [
        [0, 0.9],
        [0.5, 0.7],
        [0.9, 0.1],
      ],
    },
    {
      name: 'random',
      points: [
        [0, 0.9],
        [0.5, 0.3],
        [0.9, 0.1],
      ],
    },
    {
      name: 'taylor "quoted"',
      points: [
        [0, 0.9],
        [0.9, 0.2],
      ],
    },
  ],
  xDomain: [0, 1],
  yDomain: [0, 1],
});

const count = (svg: string, re: RegExp) => (svg.match(re) ?? []).length;

describe('svg charts', () => {
  describe('lineChart', () => {
    it('escapes every text: title, series names and labels never open a tag or an entity', () => {
      const svg = lineChart(spec());
      assert.ok(svg.includes('Accuracy &lt;vs&gt; rate &amp; more'));
      assert.ok(svg.includes('lrp:epsilon&lt;plus&gt;&amp;flat'));
      assert.ok(svg.includes('taylor &quot;quoted&quot;'));
      assert.ok(!svg.includes('<vs>') && !svg.includes('<plus>') && !svg.includes('&flat'));
      // Every tag is one we emit: nothing a name smuggled in.
      const tags = new Set([...svg.matchAll(/<\/?([a-zA-Z]+)/g)].map((m) => m[1]));
      assert.deepEqual([...tags].sort(), ['circle', 'g', 'line', 'path', 'polyline', 'rect', 'svg', 'text', 'title']);
    });

    it('is deterministic: the same spec gives the same string', () => {
      assert.equal(lineChart(spec()), lineChart(spec()));
      assert.notEqual(lineChart(spec()), lineChart({ ...spec(), title: 'other' }));
    });

    it('has the requested size as its viewBox (default 640×400)', () => {
      assert.match(
        lineChart({ ...spec(), width: 500, height: 300 }),
        /^<svg [^>]*viewBox="0 0 500 300" width="500" height="300"/,
      );
      assert.match(lineChart(spec()), /viewBox="0 0 640 400"/);
    });

    it('draws one round-joined polyline per series in palette order, with a marker and hover title per point', () => {
      const svg = lineChart(spec());
      const lines = [...svg.matchAll(/<polyline points="([^"]*)"[^>]*stroke="([^"]+)"[^>]*stroke-linejoin="round"/g)];
      assert.equal(lines.length, 3);
      assert.deepEqual(
        lines.map((m) => m[2]),
        PALETTE.slice(0, 3),
      );
      assert.deepEqual(
        lines.map((m) => m[1].split(' ').length),
        [3, 3, 2],
      );
      assert.equal(count(svg, /<g class="series"/g), 3);
      assert.match(svg, /<title>random: pruning rate 0.5, accuracy 0.30?<\/title>/);
      assert.equal(count(svg, /<title>[^<]*: pruning rate /g), 8, 'a hover title per point');
    });

    it('a single-point series gets a marker but no polyline', () => {
      const svg = lineChart({ ...spec(), series: [{ name: 'one', points: [[0.3, 0.5]] }] });
      assert.equal(count(svg, /<polyline/g), 0);
      assert.equal(count(svg, /<title>one: /g), 1);
    });

    it('labels the axes with round ticks and draws a gridline per tick', () => {
      const svg = lineChart({ ...spec(), yFormat: (y) => `${Math.round(100 * y)} %` });
      const xTicks = [...svg.matchAll(/class="x-tick"[^>]*>([^<]*)</g)].map((m) => m[1]);
      const yTicks = [...svg.matchAll(/class="y-tick"[^>]*>([^<]*)</g)].map((m) => m[1]);
      assert.deepEqual(xTicks, ['0', '0.2', '0.4', '0.6', '0.8', '1.0']);
      assert.deepEqual(yTicks, ['0 %', '20 %', '40 %', '60 %', '80 %', '100 %']);
      const grid = svg.match(/<g class="grid"[^>]*>(.*?)<\/g>/)![1];
      assert.equal(count(grid, /<line /g), xTicks.length + yTicks.length);
      assert.match(svg, /class="x-label"[^>]*>pruning rate</);
      assert.match(svg, /class="y-label"[^>]*>accuracy</);
    });

    it('widens an automatic domain to whole ticks and shortens thousands', () => {
      const svg = lineChart({
        title: 't',
        xLabel: 'x',
        yLabel: 'y',
        series: [
          {
            name: 's',
            points: [
              [1, 1300],
              [7, 98_000],
            ],
          },
        ],
      });
      const yTicks = [...svg.matchAll(/class="y-tick"[^>]*>([^<]*)</g)].map((m) => m[1]);
      assert.equal(yTicks[0], '0');
      assert.equal(yTicks.at(-1), '100k');
    });

    it('lists every series in the legend, in order', () => {
      const legend = lineChart(spec()).match(/<g class="legend">(.*)<\/g><\/svg>$/)![1];
      const names = [...legend.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
      assert.deepEqual(names, ['lrp:epsilon&lt;plus&gt;&amp;flat', 'random', 'taylor &quot;quoted&quot;']);
    });

    it('draws axes and text in currentColor so the chart follows the page theme', () => {
      const svg = lineChart(spec());
      assert.match(svg, /class="axes" stroke="currentColor"/);
      for (const m of svg.matchAll(/<text [^>]*>/g)) assert.doesNotMatch(m[0], /fill="(?!currentColor)/);
      assert.match(svg, /class="tick-labels" fill="currentColor"/);
    });

    it('skips non-finite points instead of writing NaN into the drawing', () => {
      const svg = lineChart({
        ...spec(),
        series: [
          {
            name: 's',
            points: [
              [0, 1],
              [0.5, NaN],
              [1, 0],
            ],
          },
        ],
      });
      assert.ok(!svg.includes('NaN'));
      assert.equal(svg.match(/<polyline points="([^"]*)"/)![1].split(' ').length, 2);
    });
  });

  describe('charts that must read at a glance (issue 17 item 4)', () => {
    const xTicks = (svg: string) => [...svg.matchAll(/class="x-tick"[^>]*>([^<]*)</g)].map((m) => m[1]);
    const trials = (k: number): LineChartSpec => ({
      title: 'Best AUC over trials',
      xLabel: 'trial',
      yLabel: 'AUC',
      series: [
        { name: 'best', points: Array.from({ length: k }, (_, i) => [i + 1, 0.3 + i / 100] as [number, number]) },
      ],
      xDomain: [1, Math.max(2, k)],
      width: 560,
      height: 340,
      xIntegers: true,
    });

    it('whole-number x ticks: 3 trials read 1, 2, 3 (not "1 1 1 2 2 2"), 25 trials every fifth', () => {
      assert.deepEqual(xTicks(lineChart(trials(3))), ['1', '2', '3']);
      assert.deepEqual(xTicks(lineChart(trials(2))), ['1', '2']);
      assert.deepEqual(xTicks(lineChart(trials(25))), ['5', '10', '15', '20', '25']);
      // Without the option a 1–3 range takes fractional ticks, which a rounding format would repeat.
      assert.ok(niceTicks(1, 3, 6).ticks.some((t) => !Number.isInteger(t)));
      assert.deepEqual(integerTicks(1, 3, 6).ticks, [1, 2, 3]);
      assert.deepEqual(integerTicks(0, 10, 4).ticks, [0, 2, 4, 6, 8, 10]);
    });

    it('ten curves get ten different (colour, dash) styles, and the emphasised one is drawn last and bold', () => {
      const series = Array.from({ length: 10 }, (_, i) => ({
        name: `c${i}`,
        points: [
          [0, 0.9],
          [1, i / 10],
        ] as [number, number][],
        emphasis: i === 0,
      }));
      const svg = lineChart({
        title: 't',
        xLabel: 'rate',
        yLabel: 'acc',
        series,
        xDomain: [0, 1],
        yDomain: [0, 1],
        width: 560,
        height: 400,
        minPlotHeight: 240,
      });
      const lines = [
        ...svg.matchAll(
          /<g class="series( emphasis)?" data-series="(\d+)"><polyline [^>]*stroke="([^"]+)" stroke-width="([\d.]+)"[^>]*?(?: stroke-dasharray="([^"]+)")?\/>/g,
        ),
      ];
      assert.equal(lines.length, 10);
      const styles = new Set(lines.map((m) => `${m[3]}/${m[5] ?? ''}`));
      assert.equal(styles.size, 10, [...styles].join(' '));
      assert.equal(lines[lines.length - 1][2], '0', 'the emphasised series is drawn last, on top');
      assert.equal(lines[lines.length - 1][1], ' emphasis');
      assert.ok(
        Number(lines[lines.length - 1][4]) > Math.max(...lines.slice(0, -1).map((m) => Number(m[4]))),
        'and wider than the rest',
      );
      assert.equal(lines.find((m) => m[2] === '7')![3], PALETTE[0], 'series 8 reuses the first colour…');
      assert.ok(lines.find((m) => m[2] === '7')![5], '…dashed');
      assert.match(svg, /font-weight="700">c0</);
    });

    it('grows to keep the plot area tall enough when the legend takes many rows', () => {
      const series = Array.from({ length: 10 }, (_, i) => ({
        name: `lrp:a-rather-long-criterion-name-${i} (0.3456)`,
        points: [
          [0, 0.9],
          [1, 0.1],
        ] as [number, number][],
      }));
      const base = {
        title: 't',
        xLabel: 'rate',
        yLabel: 'acc',
        series,
        xDomain: [0, 1] as [number, number],
        yDomain: [0, 1] as [number, number],
        width: 560,
        height: 340,
      };
      const plotHeight = (svg: string) => {
        const m = svg.match(/<path d="M[\d.]+ ([\d.]+)V([\d.]+)H/)!;
        return Number(m[2]) - Number(m[1]);
      };
      assert.ok(
        plotHeight(lineChart(base)) < 150,
        `without a minimum the legend squeezes the plot: ${plotHeight(lineChart(base))}`,
      );
      const tall = lineChart({ ...base, minPlotHeight: 240 });
      assert.ok(Math.abs(plotHeight(tall) - 240) < 0.5, `plot ${plotHeight(tall)}`);
      assert.ok(Number(tall.match(/viewBox="0 0 \d+ (\d+)"/)![1]) > 340);
    });
  });

  describe('barChart', () => {
    it('draws one bar per label, longest for the largest value, with its value printed after it', () => {
      const svg = barChart({
        title: 'layers',
        bars: [
          { label: 'conv<1>', value: 0.25 },
          { label: 'fc', value: 0.75 },
        ],
        valueFormat: (v) => `${100 * v} %`,
      });
      const widths = [...svg.matchAll(/<rect [^>]*width="([\d.]+)"/g)].map((m) => Number(m[1]));
      assert.equal(widths.length, 2);
      assert.ok(widths[1] > 2.9 * widths[0] && widths[1] < 3.1 * widths[0], String(widths));
      assert.ok(svg.includes('conv&lt;1&gt;') && svg.includes('>75 %<'));
      assert.equal(
        barChart({ title: 't', bars: [{ label: 'a', value: 1 }] }),
        barChart({ title: 't', bars: [{ label: 'a', value: 1 }] }),
      );
    });

    it('grows with the number of bars unless a height is given', () => {
      const bars = Array.from({ length: 10 }, (_, i) => ({ label: `l${i}`, value: i }));
      const h = (svg: string) => Number(svg.match(/viewBox="0 0 \d+ (\d+)"/)![1]);
      assert.ok(h(barChart({ title: 't', bars })) > h(barChart({ title: 't', bars: bars.slice(0, 2) })));
      assert.equal(h(barChart({ title: 't', bars, height: 123 })), 123);
    });
  });

  it('niceTicks steps by 1, 2, 2.5 or 5 times a power of ten without float noise', () => {
    assert.deepEqual(niceTicks(0, 1).ticks, [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(niceTicks(0, 0.3, 3).ticks, [0, 0.1, 0.2, 0.3]);
    assert.deepEqual(niceTicks(-10, 10, 4).ticks, [-10, -5, 0, 5, 10]);
    assert.equal(niceTicks(0, 14_751_488).step, 5_000_000);
    assert.equal(niceTicks(0, 14_751_488, 8).step, 2_000_000);
    assert.equal(niceTicks(0, 1, 4).step, 0.25);
  });

  it('standaloneSvg adds an XML declaration and a theme colour for currentColor', () => {
    const file = standaloneSvg(lineChart(spec()));
    assert.match(file, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<svg [^>]*><style>svg\{color:/);
    assert.match(file, /prefers-color-scheme: dark/);
  });

  it('escapeXml escapes the five XML specials', () => {
    assert.equal(escapeXml(`<a href="x">&'</a>`), '&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;');
  });
});
