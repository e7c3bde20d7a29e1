/**
 * A 3×5 pixel font for the few words PNG heatmaps carry (the class and the colour scale's numbers). The PNGs are
 * written with pngjs, which draws no text, and a system font would make the files depend on the machine. Letters are
 * drawn upper case; a character the font lacks is drawn as '?'.
 */

const ROWS = 5;
const COLS = 3;

// Each glyph: five rows of three cells, '#' lit.
const GLYPHS: Record<string, string> = {
  '0': '### #.# #.# #.# ###',
  '1': '.#. ##. .#. .#. ###',
  '2': '##. ..# .#. #.. ###',
  '3': '##. ..# .#. ..# ##.',
  '4': '#.# #.# ### ..# ..#',
  '5': '### #.. ##. ..# ##.',
  '6': '.## #.. ### #.# ###',
  '7': '### ..# .#. .#. .#.',
  '8': '### #.# ### #.# ###',
  '9': '### #.# ### ..# ##.',
  A: '.#. #.# ### #.# #.#',
  B: '##. #.# ##. #.# ##.',
  C: '.## #.. #.. #.. .##',
  D: '##. #.# #.# #.# ##.',
  E: '### #.. ##. #.. ###',
  F: '### #.. ##. #.. #..',
  G: '.## #.. #.# #.# .##',
  H: '#.# #.# ### #.# #.#',
  I: '### .#. .#. .#. ###',
  J: '..# ..# ..# #.# .#.',
  K: '#.# ##. #.. ##. #.#',
  L: '#.. #.. #.. #.. ###',
  M: '#.# ### ### #.# #.#',
  N: '##. #.# #.# #.# #.#',
  O: '.#. #.# #.# #.# .#.',
  P: '##. #.# ##. #.. #..',
  Q: '.#. #.# #.# ##. .##',
  R: '##. #.# ##. #.# #.#',
  S: '.## #.. .#. ..# ##.',
  T: '### .#. .#. .#. .#.',
  U: '#.# #.# #.# #.# ###',
  V: '#.# #.# #.# #.# .#.',
  W: '#.# #.# ### ### #.#',
  X: '#.# #.# .#. #.# #.#',
  Y: '#.# #.# .#. .#. .#.',
  Z: '### ..# .#. #.. ###',
  ' ': '... ... ... ... ...',
  '.': '... ... ... ... .#.',
  ',': '... ... ... .#. #..',
  ':': '... .#. ... .#. ...',
  '-': '... ... ### ... ...',
  '+': '... .#. ### .#. ...',
  '=': '... ### ... ### ...',
  '/': '..# ..# .#. #.. #..',
  '(': '.#. #.. #.. #.. .#.',
  ')': '.#. ..# ..# ..# .#.',
  '%': '#.# ..# .#. #.. #.#',
  '#': '#.# ### #.# ### #.#',
  "'": '.#. .#. ... ... ...',
  _: '... ... ... ... ###',
  '?': '##. ..# .#. ... .#.',
};

/** An RGBA image as pngjs holds it. */
export interface Canvas {
  width: number;
  height: number;
  data: Uint8Array | Buffer;
}

/** Pixels one character takes across, its one-cell gap included. */
export function charWidth(scale: number): number {
  return (COLS + 1) * scale;
}

/** Pixels a line of text takes down. */
export function textHeight(scale: number): number {
  return ROWS * scale;
}

export function textWidth(text: string, scale: number): number {
  return text.length === 0 ? 0 : text.length * charWidth(scale) - scale;
}

/** `text` cut to at most `width` pixels, ending in '..' when it was cut. */
export function fitText(text: string, width: number, scale: number): string {
  if (textWidth(text, scale) <= width) return text;
  const room = Math.floor((width + scale) / charWidth(scale)) - 2;
  return room > 0 ? `${text.slice(0, room)}..` : '';
}

/** Draws `text` with its top-left corner at (x, y), each font cell `scale` pixels square; clipped to the canvas. */
export function drawText(
  canvas: Canvas,
  text: string,
  x: number,
  y: number,
  scale: number,
  rgb: [number, number, number],
): void {
  [...text.toUpperCase()].forEach((ch, k) => {
    const rows = (GLYPHS[ch] ?? GLYPHS['?']).split(' ');
    for (let r = 0; r < ROWS; r++) {
      for (let col = 0; col < COLS; col++) {
        if (rows[r][col] !== '#') continue;
        fillRect(canvas, x + k * charWidth(scale) + col * scale, y + r * scale, scale, scale, rgb);
      }
    }
  });
}

export function fillRect(
  canvas: Canvas,
  x: number,
  y: number,
  w: number,
  h: number,
  rgb: [number, number, number],
): void {
  for (let yy = Math.max(0, y); yy < Math.min(canvas.height, y + h); yy++) {
    for (let xx = Math.max(0, x); xx < Math.min(canvas.width, x + w); xx++) {
      const i = (yy * canvas.width + xx) * 4;
      canvas.data[i] = rgb[0];
      canvas.data[i + 1] = rgb[1];
      canvas.data[i + 2] = rgb[2];
      canvas.data[i + 3] = 255;
    }
  }
}
