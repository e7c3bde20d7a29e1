import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import {
  encodeHeatmapPng,
  heatmapScale,
  relevanceToRgb,
  scaleNumber,
  writeHeatmapPng,
} from '../../../src/core/report/heatmap';
import { drawText, fitText, textWidth } from '../../../src/core/report/pixel-font';
import { tempDir } from '../../helpers/tmp';

const rgbAt = (rgb: Uint8Array, i: number) => [rgb[i * 3], rgb[i * 3 + 1], rgb[i * 3 + 2]];

function pixel(png: PNG, x: number, y: number): number[] {
  const i = (y * png.width + x) * 4;
  return [png.data[i], png.data[i + 1], png.data[i + 2], png.data[i + 3]];
}

describe('heatmap', () => {
  describe('relevanceToRgb', () => {
    it('maps -1, -0.5, 0, 0.5, 1 (after normalizing by the max |value|) to blue, white and red', () => {
      // max |value| is 4, so these normalize to -1, -0.5, 0, 0.5, 1
      const rgb = relevanceToRgb(new Float32Array([-4, -2, 0, 2, 4]), 1, 5, 1);
      assert.equal(rgb.length, 15);
      assert.deepEqual(rgbAt(rgb, 0), [0, 0, 255]);
      assert.deepEqual(rgbAt(rgb, 1), [128, 128, 255]); // 255 * 0.5 = 127.5, rounded
      assert.deepEqual(rgbAt(rgb, 2), [255, 255, 255]);
      assert.deepEqual(rgbAt(rgb, 3), [255, 128, 128]);
      assert.deepEqual(rgbAt(rgb, 4), [255, 0, 0]);
    });

    it('is linear in between and keeps magnitude relative to the max', () => {
      // -0.25 -> 255 * 0.75 = 191.25 -> 191
      const rgb = relevanceToRgb(new Float32Array([-1, 4]), 2, 1, 1);
      assert.deepEqual(rgbAt(rgb, 0), [191, 191, 255]);
      assert.deepEqual(rgbAt(rgb, 1), [255, 0, 0]);
    });

    it('sums relevance over channels (HWC)', () => {
      // pixel 0: 1 + 2 + 3 = 6 (the max), pixel 1: 3 - 1 - 5 = -3 (-0.5), pixel 2: 1 - 1 + 0 = 0
      const rel = new Float32Array([1, 2, 3, 3, -1, -5, 1, -1, 0]);
      const rgb = relevanceToRgb(rel, 1, 3, 3);
      assert.equal(rgb.length, 9);
      assert.deepEqual(rgbAt(rgb, 0), [255, 0, 0]);
      assert.deepEqual(rgbAt(rgb, 1), [128, 128, 255]);
      assert.deepEqual(rgbAt(rgb, 2), [255, 255, 255]);
    });

    it('draws all-zero relevance white', () => {
      const rgb = relevanceToRgb(new Float32Array(12), 2, 2, 3);
      assert.ok(rgb.every((v) => v === 255));
    });

    it('rejects a size mismatch', () => {
      assert.throws(() => relevanceToRgb(new Float32Array(5), 2, 2, 1), /expected 2x2x1/);
    });
  });

  describe('encodeHeatmapPng', () => {
    it('draws the heatmap alone, scaled by nearest neighbour', () => {
      const png = PNG.sync.read(
        Buffer.from(encodeHeatmapPng(undefined, new Float32Array([1, -1, 0, 0.5]), 2, 2, 1, 3)),
      );
      assert.equal(png.width, 6);
      assert.equal(png.height, 6);
      // each source pixel covers a 3x3 block
      for (const [x, y] of [
        [0, 0],
        [2, 2],
        [1, 2],
      ])
        assert.deepEqual(pixel(png, x, y), [255, 0, 0, 255]);
      for (const [x, y] of [
        [3, 0],
        [5, 2],
      ])
        assert.deepEqual(pixel(png, x, y), [0, 0, 255, 255]);
      assert.deepEqual(pixel(png, 0, 5), [255, 255, 255, 255]);
      assert.deepEqual(pixel(png, 5, 5), [255, 128, 128, 255]);
    });

    it('puts a grayscale input beside the heatmap with a 2-pixel white gap', () => {
      const input = new Float32Array([0, 1, 0.5, 2]); // 2 clamps to 1
      const rel = new Float32Array([0, 0, 0, -1]);
      const png = PNG.sync.read(Buffer.from(encodeHeatmapPng(input, rel, 2, 2, 1, 4)));
      assert.equal(png.width, 8 + 2 + 8);
      assert.equal(png.height, 8);
      assert.deepEqual(pixel(png, 0, 0), [0, 0, 0, 255]);
      assert.deepEqual(pixel(png, 7, 3), [255, 255, 255, 255]);
      assert.deepEqual(pixel(png, 3, 4), [128, 128, 128, 255]);
      assert.deepEqual(pixel(png, 7, 7), [255, 255, 255, 255]);
      for (let y = 0; y < 8; y++) {
        assert.deepEqual(pixel(png, 8, y), [255, 255, 255, 255]);
        assert.deepEqual(pixel(png, 9, y), [255, 255, 255, 255]);
      }
      assert.deepEqual(pixel(png, 10, 0), [255, 255, 255, 255]);
      assert.deepEqual(pixel(png, 14, 4), [0, 0, 255, 255]);
      assert.deepEqual(pixel(png, 17, 7), [0, 0, 255, 255]);
    });

    it('draws an RGB input in colour, with the default scale of 8', () => {
      const input = new Float32Array([1, 0, 0, 0, 0.5, 1]); // 1x2: red, (0, 128, 255)
      const rel = new Float32Array([1, 0, 0, 0, 0, -2]); // sums 1, -2 -> 0.5, -1
      const png = PNG.sync.read(Buffer.from(encodeHeatmapPng(input, rel, 1, 2, 3)));
      assert.equal(png.width, 16 + 2 + 16);
      assert.equal(png.height, 8);
      assert.deepEqual(pixel(png, 7, 7), [255, 0, 0, 255]);
      assert.deepEqual(pixel(png, 8, 0), [0, 128, 255, 255]);
      assert.deepEqual(pixel(png, 18, 0), [255, 128, 128, 255]);
      assert.deepEqual(pixel(png, 33, 7), [0, 0, 255, 255]);
    });

    it('a 28x28 image becomes 224 pixels high', () => {
      const png = PNG.sync.read(Buffer.from(encodeHeatmapPng(new Float32Array(784), new Float32Array(784), 28, 28, 1)));
      assert.equal(png.width, 224 * 2 + 2);
      assert.equal(png.height, 224);
      assert.deepEqual(pixel(png, 300, 100), [255, 255, 255, 255]); // zero relevance is white
    });

    it('rejects a bad scale or input size', () => {
      assert.throws(() => encodeHeatmapPng(undefined, new Float32Array(4), 2, 2, 1, 0), /scale/);
      assert.throws(() => encodeHeatmapPng(new Float32Array(3), new Float32Array(4), 2, 2, 1), /input/);
    });
  });

  describe('legend', () => {
    const inkIn = (png: PNG, x0: number, x1: number, y0: number, y1: number) => {
      let n = 0;
      for (let y = y0; y < y1; y++)
        for (let x = x0; x < x1; x++) if (pixel(png, x, y)[0] < 100 && pixel(png, x, y)[2] < 100) n++;
      return n;
    };

    it('adds a strip: the colour bar under the heatmap from blue to red, the label under the input', () => {
      const rel = new Float32Array(784);
      rel[0] = 0.5;
      rel[1] = -0.25;
      const plain = PNG.sync.read(Buffer.from(encodeHeatmapPng(new Float32Array(784), rel, 28, 28, 1)));
      const png = PNG.sync.read(
        Buffer.from(encodeHeatmapPng(new Float32Array(784), rel, 28, 28, 1, undefined, { label: 'class 3: Dress' })),
      );
      assert.equal(png.width, plain.width);
      assert.ok(png.height > plain.height + 10, `a strip below (${png.height} vs ${plain.height})`);
      const heatX = 224 + 2;
      const barY = 224 + 4 + 2; // the pad (2 cells of 2 px), then the bar
      assert.deepEqual(pixel(png, heatX, barY), [0, 0, 255, 255]); // −max: blue
      assert.deepEqual(pixel(png, heatX + 223, barY), [255, 0, 0, 255]); // +max: red
      const mid = pixel(png, heatX + 111, barY);
      assert.ok(
        mid.slice(0, 3).every((v) => v > 245),
        `the middle of the bar is white: ${mid}`,
      );
      // Numbers under the bar, the label under the input; nothing drawn into the pictures themselves.
      assert.ok(inkIn(png, heatX, heatX + 224, 224 + 14, png.height) > 20, 'scale numbers are drawn');
      assert.ok(inkIn(png, 0, 224, 224, png.height) > 40, 'the label is drawn under the input');
      assert.deepEqual(pixel(png, 300, 100), pixel(plain, 300, 100));
    });

    it('puts the label on its own row when there is no input, and says only 0 for an all-zero map', () => {
      const png = PNG.sync.read(
        Buffer.from(encodeHeatmapPng(undefined, new Float32Array(784), 28, 28, 1, undefined, { label: 'class 1' })),
      );
      const strip = png.height - 224;
      assert.ok(strip > 30, `two text rows below the bar (${strip} px)`);
      const ticks = inkIn(png, 0, 224, 224 + 14, 224 + 24);
      // '0' in the 3×5 font at 2 px cells: 12 lit cells of 4 pixels.
      assert.equal(ticks, 12 * 4);
      assert.ok(inkIn(png, 0, 224, 224 + 26, png.height) > 40, 'the label row');
    });

    it('writes the scale short: plain between 0.01 and 1000, else with an exponent', () => {
      assert.equal(scaleNumber(0.034567), '0.035');
      assert.equal(scaleNumber(12.34), '12');
      assert.equal(scaleNumber(0.0012345), '1.2E-3');
      assert.equal(scaleNumber(123456), '1.2E+5');
    });

    it('enlarges small images to about 224 pixels and leaves large ones', () => {
      assert.equal(heatmapScale(28, 28), 8);
      assert.equal(heatmapScale(32, 32), 7);
      assert.equal(heatmapScale(224, 224), 1);
      assert.equal(heatmapScale(512, 300), 1);
    });
  });

  describe('pixel font', () => {
    it("draws a glyph's lit cells, scaled", () => {
      const canvas = { width: 8, height: 10, data: new Uint8Array(8 * 10 * 4).fill(255) };
      drawText(canvas, '1', 1, 0, 2, [0, 0, 0]);
      const lit = (x: number, y: number) => canvas.data[(y * 8 + x) * 4] === 0;
      // '1' is .#. / ##. / .#. / .#. / ###
      assert.ok(lit(3, 0) && lit(4, 1) && !lit(1, 0) && !lit(5, 0));
      assert.ok(lit(1, 2) && lit(3, 2) && !lit(5, 2));
      assert.ok(lit(1, 9) && lit(3, 9) && lit(6, 9));
      assert.equal(canvas.data[3], 255);
    });

    it('measures and cuts text to a width', () => {
      assert.equal(textWidth('abc', 2), 3 * 8 - 2);
      assert.equal(fitText('short', 100, 1), 'short');
      assert.equal(fitText('a rather long class name', 40, 1), 'a rather..');
      assert.ok(textWidth(fitText('a rather long class name', 40, 1), 1) <= 40);
    });
  });

  it('writeHeatmapPng writes a decodable PNG', () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = path.join(dir, 'sub', 'heat.png');
      writeHeatmapPng(file, undefined, new Float32Array([2, -2]), 1, 2, 1, 2);
      const png = PNG.sync.read(fs.readFileSync(file));
      assert.equal(png.width, 4);
      assert.equal(png.height, 2);
      assert.deepEqual(pixel(png, 1, 1), [255, 0, 0, 255]);
      assert.deepEqual(pixel(png, 2, 0), [0, 0, 255, 255]);
      assert.deepEqual(fs.readdirSync(path.dirname(file)), ['heat.png']); // no temp file left
    } finally {
      cleanup();
    }
  });
});
