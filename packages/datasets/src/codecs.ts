/**
 * Image and label-map decoding with pure-JavaScript codecs (jpeg-js, fast-png) that run the
 * same in Node and in browsers, with one-line `PerturbError`s that name the file. Every folder
 * reader (image folders here, VOC/Cityscapes in segmentation, COCO/VOC in detection) decodes
 * through these.
 */
import { PerturbError } from '@perturb/core';
import { decode as decodePngBytes, encode as encodePngBytes, hasPngSignature } from 'fast-png';
import jpeg from 'jpeg-js';

/** An 8-bit image, rows of `width × channels` bytes (HWC). */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** 3 (RGB). */
  readonly channels: 3;
  readonly data: Uint8Array;
}

/** A label map: one class id byte per pixel, row-major. */
export interface LabelImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

function corrupt(file: string, kind: string, error: unknown, fix: string): PerturbError {
  const reason = error instanceof Error ? error.message : String(error);
  return new PerturbError(`${file} is not a readable ${kind} (${reason.split('\n')[0]})`, fix);
}

/** Decodes a JPEG (baseline or progressive, gray or colour) to RGB bytes. */
export function decodeJpeg(bytes: Uint8Array, file = 'the JPEG'): RgbImage {
  try {
    const { width, height, data } = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false });
    return { width, height, channels: 3, data };
  } catch (error) {
    throw corrupt(file, 'JPEG', error, 'replace it with an intact copy: the file is damaged or not a JPEG');
  }
}

/** Encodes RGB bytes as a JPEG (quality 0..100), e.g. for test fixtures. */
export function encodeJpeg(image: RgbImage, quality = 90): Uint8Array {
  const rgba = new Uint8Array(image.width * image.height * 4);
  for (let p = 0, q = 0; p < image.width * image.height; p++) {
    rgba[q++] = image.data[p * 3];
    rgba[q++] = image.data[p * 3 + 1];
    rgba[q++] = image.data[p * 3 + 2];
    rgba[q++] = 255;
  }
  const { data } = jpeg.encode({ width: image.width, height: image.height, data: rgba }, quality);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

type DecodedPng = ReturnType<typeof decodePngBytes>;

function readPng(bytes: Uint8Array, file: string): DecodedPng {
  try {
    return decodePngBytes(bytes);
  } catch (error) {
    throw corrupt(file, 'PNG', error, 'replace it with an intact copy: the file is damaged or not a PNG');
  }
}

/** Samples of a PNG with bit depth < 8 (packed, rows padded to whole bytes) as one byte each. */
function unpack(png: DecodedPng, file: string): Uint8Array {
  const { width, height, depth, channels } = png;
  const data = png.data as Uint8Array;
  if (depth === 8) return data;
  const samples = width * channels;
  if (depth === 16) {
    const out = new Uint8Array(samples * height);
    for (let i = 0; i < out.length; i++) out[i] = (data as unknown as Uint16Array)[i] >> 8;
    return out;
  }
  const rowBytes = Math.ceil((samples * depth) / 8);
  if (data.length !== rowBytes * height) {
    throw new PerturbError(
      `${file} has ${depth}-bit samples in a layout this reader does not know (interlaced?)`,
      'save it as a non-interlaced 8-bit PNG',
    );
  }
  const out = new Uint8Array(samples * height);
  const mask = (1 << depth) - 1;
  for (let r = 0; r < height; r++) {
    for (let s = 0; s < samples; s++) {
      const bit = s * depth;
      const byte = data[r * rowBytes + (bit >> 3)];
      out[r * samples + s] = (byte >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}

/** Decodes a PNG photo (gray, RGB, with or without alpha, 8 or 16 bits, or palette) to RGB bytes. */
export function decodePngImage(bytes: Uint8Array, file = 'the PNG'): RgbImage {
  const png = readPng(bytes, file);
  const samples = unpack(png, file);
  const { width, height, channels } = png;
  const data = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    if (png.palette) {
      const colour = png.palette[samples[p]] ?? [0, 0, 0];
      data.set([colour[0], colour[1], colour[2]], p * 3);
    } else if (channels >= 3) {
      data.set(samples.subarray(p * channels, p * channels + 3), p * 3);
    } else {
      data.fill(samples[p * channels], p * 3, p * 3 + 3);
    }
  }
  return { width, height, channels: 3, data };
}

/** JPEG files start with the start-of-image marker FF D8. */
const isJpeg = (bytes: Uint8Array) => bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xd8;

/**
 * Decodes a PNG or JPEG photo to RGB bytes, telling the format by its first bytes rather than
 * the file's name (a `.png` that is really a JPEG decodes all the same).
 */
export function decodeImage(bytes: Uint8Array, file = 'the image'): RgbImage {
  if (hasPngSignature(bytes)) return decodePngImage(bytes, file);
  if (isJpeg(bytes)) return decodeJpeg(bytes, file);
  throw new PerturbError(
    `${file} is neither a PNG nor a JPEG (it starts with neither format's signature)`,
    'replace it with an intact PNG or JPEG, or move it out of the folder',
  );
}

/**
 * Decodes a label-map PNG to its class ids: the palette *indices* of a palette PNG (as Pascal VOC
 * stores them), or the values of a one-channel grayscale PNG (as Cityscapes' `*_labelIds.png`).
 * Colour PNGs are refused: their colours are not class ids.
 */
export function decodeLabelPng(bytes: Uint8Array, file = 'the label PNG'): LabelImage {
  const png = readPng(bytes, file);
  const isPalette = png.palette !== undefined && png.channels === 1;
  if (!isPalette && png.channels !== 1) {
    throw new PerturbError(
      `${file} is a ${png.channels}-channel colour PNG, not a palette or grayscale label map, so its colours are not class ids`,
      'use the dataset’s original label PNGs (palette indices or label ids), or convert colours to class ids first',
    );
  }
  if (png.depth === 16) {
    throw new PerturbError(
      `${file} is a 16-bit label map`,
      'save label maps as 8-bit palette or grayscale PNGs',
    );
  }
  return { width: png.width, height: png.height, data: unpack(png, file) };
}

/** An 8-bit PNG of `image`'s bytes, `channels` samples a pixel, with an optional palette. */
function encode8Bit(
  image: { width: number; height: number; data: Uint8Array },
  channels: 1 | 3,
  palette?: readonly (readonly number[])[],
): Uint8Array {
  const { width, height, data } = image;
  return encodePngBytes({
    width,
    height,
    data,
    depth: 8,
    channels,
    ...(palette ? { palette: palette.map((c) => [c[0], c[1], c[2]]) } : {}),
  });
}

/**
 * Encodes class ids as an 8-bit palette PNG (Pascal VOC's format), with `palette` colours
 * (default: {@link vocPalette}), e.g. for fixtures or to save predictions.
 */
export function encodeLabelPng(
  labels: LabelImage,
  palette: readonly (readonly number[])[] = vocPalette(),
): Uint8Array {
  return encode8Bit(labels, 1, palette);
}

/** Encodes class ids as an 8-bit grayscale PNG (Cityscapes' `*_labelIds.png` format). */
export function encodeGrayPng(labels: LabelImage): Uint8Array {
  return encode8Bit(labels, 1);
}

/** Encodes RGB bytes as an 8-bit RGB PNG (Cityscapes' `*_leftImg8bit.png` format). */
export function encodeRgbPng(image: RgbImage): Uint8Array {
  return encode8Bit(image, 3);
}

/**
 * The Pascal VOC colour map (256 RGB colours): class c's colour spreads the bits of c over
 * the high bits of R, G and B; 255 (ignore) is (224, 224, 192).
 */
export function vocPalette(): number[][] {
  const palette: number[][] = [];
  for (let i = 0; i < 256; i++) {
    let r = 0;
    let g = 0;
    let b = 0;
    let c = i;
    for (let bit = 7; bit >= 0; bit--) {
      r |= (c & 1) << bit;
      g |= ((c >> 1) & 1) << bit;
      b |= ((c >> 2) & 1) << bit;
      c >>= 3;
    }
    palette.push([r, g, b]);
  }
  return palette;
}
