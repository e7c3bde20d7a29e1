/**
 * Decoding PNG and JPEG images into the engine's input form: height × width × channels, float32 in [0, 1].
 * Grayscale PNGs keep one channel (so MNIST-like folders give [H, W, 1]); everything else becomes RGB.
 * Alpha is dropped: the models we prune take no transparency.
 */
import path from 'node:path';
import { PNG } from 'pngjs';
import { decode as decodeJpegBytes } from 'jpeg-js';
import { badInput } from '../errors';
import { readInputFile } from './read-input';

export interface DecodedImage {
  width: number;
  height: number;
  channels: 1 | 3;
  /** Row-major HWC, values in [0, 1]. */
  data: Float32Array;
}

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];

export function isImageFile(file: string): boolean {
  return IMAGE_EXTENSIONS.includes(path.extname(file).toLowerCase());
}

function isPng(buf: Uint8Array): boolean {
  return buf.length >= 8 && buf[0] === 0x89 && buf[1] === 0x50 && buf[2] === 0x4e && buf[3] === 0x47;
}

function isJpeg(buf: Uint8Array): boolean {
  return buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff;
}

function decodePng(buf: Uint8Array, file: string): DecodedImage {
  let png;
  try {
    png = PNG.sync.read(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
  } catch (e) {
    throw badInput(`${file}: cannot decode the PNG (${(e as Error).message})`, 'the file is damaged; re-export it');
  }
  // pngjs always hands back 8-bit RGBA; its metadata says whether the source had colour.
  const { width, height } = png;
  const channels = png.color ? 3 : 1;
  const rgba = png.data;
  const data = new Float32Array(width * height * channels);
  for (let p = 0, o = 0; p < width * height; p++) {
    for (let c = 0; c < channels; c++) data[o++] = rgba[4 * p + c] / 255;
  }
  return { width, height, channels, data };
}

function decodeJpeg(buf: Uint8Array, file: string): DecodedImage {
  let img;
  try {
    img = decodeJpegBytes(buf, { useTArray: true, formatAsRGBA: false });
  } catch (e) {
    throw badInput(`${file}: cannot decode the JPEG (${(e as Error).message})`, 'the file is damaged; re-export it');
  }
  const { width, height } = img;
  const rgb = img.data;
  const data = new Float32Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = rgb[i] / 255;
  return { width, height, channels: 3, data };
}

/** Decodes by content (PNG or JPEG signature), not by file name. */
export function decodeImage(buf: Uint8Array, file: string): DecodedImage {
  if (isPng(buf)) return decodePng(buf, file);
  if (isJpeg(buf)) return decodeJpeg(buf, file);
  throw badInput(
    `${file} is neither a PNG nor a JPEG image`,
    'convert it to .png or .jpg, or remove it from the folder',
  );
}

export function readImage(file: string): DecodedImage {
  return decodeImage(readInputFile(file), file);
}
