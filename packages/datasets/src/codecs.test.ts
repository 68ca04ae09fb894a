import { PerturbError } from '@perturb/core';
import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import {
  type LabelImage,
  decodeImage,
  decodeJpeg,
  decodeLabelPng,
  decodePngImage,
  encodeJpeg,
  encodeLabelPng,
  encodeRgbPng,
  vocPalette,
} from './codecs';
import { maxDifference, photo } from './testing/fixtures';

describe('the PNG and JPEG codecs', () => {
  it('decode an RGB PNG to its exact bytes and a quality-100 JPEG within a few levels', () => {
    const image = photo(16, 8);
    expect(Array.from(decodePngImage(encodeRgbPng(image)).data)).toEqual(Array.from(image.data));
    const jpeg = decodeJpeg(encodeJpeg(image, 100));
    expect([jpeg.width, jpeg.height]).toEqual([16, 8]);
    expect(maxDifference(jpeg.data, image.data)).toBeLessThan(6);
  });

  it('decode every kind of PNG to 8-bit RGB: gray repeated, alpha dropped, 16 bits scaled, palettes expanded', () => {
    const png = (data: Uint8Array | Uint16Array, channels: number, extra = {}) =>
      decodePngImage(
        encode({
          width: 2,
          height: 1,
          data,
          channels,
          depth: data instanceof Uint16Array ? 16 : 8,
          ...extra,
        }),
      );
    expect(Array.from(png(new Uint8Array([7, 200]), 1).data)).toEqual([7, 7, 7, 200, 200, 200]);
    expect(Array.from(png(new Uint8Array([7, 0, 200, 255]), 2).data)).toEqual([7, 7, 7, 200, 200, 200]);
    expect(Array.from(png(new Uint8Array([1, 2, 3, 0, 4, 5, 6, 128]), 4).data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(png(new Uint16Array([65535, 0, 0x1234, 0x8000, 1, 2]), 3).data)).toEqual([
      255, 0, 0x12, 0x80, 0, 0,
    ]);
    const palette = [
      [9, 8, 7],
      [250, 0, 1],
    ];
    expect(Array.from(png(new Uint8Array([1, 0]), 1, { palette }).data)).toEqual([250, 0, 1, 9, 8, 7]);
  });

  it('tell PNG from JPEG by their first bytes, whatever the file is called', () => {
    const image = photo(4, 4);
    expect(decodeImage(encodeRgbPng(image), 'a.jpg').data).toEqual(image.data);
    expect(maxDifference(decodeImage(encodeJpeg(image, 100), 'b.png').data, image.data)).toBeLessThan(6);
    expect(() => decodeImage(new TextEncoder().encode('hello'), 'notes.png')).toThrow(
      /^notes\.png is neither a PNG nor a JPEG .*\. replace it with an intact PNG or JPEG/,
    );
  });

  it('refuse truncated files in one line naming the file', () => {
    const png = encodeRgbPng(photo(8, 8));
    const jpeg = encodeJpeg(photo(8, 8), 90);
    expect(() => decodeImage(png.subarray(0, png.length - 20), 'x/a.png')).toThrow(PerturbError);
    expect(() => decodeImage(png.subarray(0, png.length - 20), 'x/a.png')).toThrow(
      /^x\/a\.png is not a readable PNG \(.*\)\. replace it with an intact copy/,
    );
    expect(() => decodeImage(jpeg.subarray(0, jpeg.length >> 1), 'x/b.jpg')).toThrow(
      /^x\/b\.jpg is not a readable JPEG \(.*\)\. replace it with an intact copy/,
    );
  });

  it('write real palette label PNGs: the file holds the VOC colours, decoding gives the indices', () => {
    const labels: LabelImage = { width: 3, height: 1, data: new Uint8Array([0, 15, 255]) };
    const png = encodeLabelPng(labels);
    expect(png[25]).toBe(3); // IHDR colour type 3 = indexed
    expect(Array.from(decodeLabelPng(png).data)).toEqual([0, 15, 255]);
    expect(vocPalette()[15]).toEqual([192, 128, 128]); // person
    expect(vocPalette()[255]).toEqual([224, 224, 192]);
  });
});
