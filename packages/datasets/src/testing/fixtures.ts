/** Test helpers: temporary folders and small files in the exact binary layouts of the real datasets. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach } from 'vitest';
import type { DatasetName, DatasetSpec } from '../catalog';
import { DATASETS } from '../catalog';
import type { RgbImage } from '../codecs';
import { encodeIdx } from '../idx';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temporary folder, removed after the current test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'perturb-datasets-'));
  made.push(dir);
  return dir;
}

/** Writes `data` to `path`, creating folders. */
export function put(path: string, data: Uint8Array): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
  return path;
}

/** Catalog entry `name` expecting `train`/`test` examples, for files far smaller than the real ones. */
export function smallSpec(name: DatasetName, train: number, test: number): DatasetSpec {
  return { ...DATASETS[name], examples: { train, test } };
}

/** Deterministic pixel values for image `n` (so tests can predict every byte). */
export function pixel(n: number, i: number): number {
  return (n * 31 + i * 7) % 256;
}

/** An MNIST-style pair of IDX files in `dir` for `prefix` (`train`/`t10k`), images `count×h×w`. */
export function writeIdxPair(
  dir: string,
  prefix: string,
  labels: number[],
  options: { side?: number; gzip?: boolean } = {},
): void {
  const side = options.side ?? 4;
  const images = new Uint8Array(labels.length * side * side).map((_, k) =>
    pixel(Math.floor(k / (side * side)), k % (side * side)),
  );
  const encode = (bytes: Uint8Array) => (options.gzip ? gzipSync(bytes) : bytes);
  const ext = options.gzip ? '.gz' : '';
  put(join(dir, `${prefix}-images-idx3-ubyte${ext}`), encode(encodeIdx([labels.length, side, side], images)));
  put(
    join(dir, `${prefix}-labels-idx1-ubyte${ext}`),
    encode(encodeIdx([labels.length], Uint8Array.from(labels))),
  );
}

/**
 * CIFAR records: label byte(s), then 3072 pixels in CHW order where channel c of image n at
 * position p holds `pixel(n, p * 3 + c)`, i.e. the HWC byte that the loader must produce.
 */
export function cifarRecords(labels: number[][]): Uint8Array {
  const labelBytes = labels[0].length;
  const record = labelBytes + 3072;
  const out = new Uint8Array(labels.length * record);
  labels.forEach((ls, n) => {
    out.set(ls, n * record);
    for (let c = 0; c < 3; c++)
      for (let p = 0; p < 1024; p++) out[n * record + labelBytes + c * 1024 + p] = pixel(n, p * 3 + c);
  });
  return out;
}

function octalField(value: number, length: number): string {
  return value.toString(8).padStart(length - 1, '0') + '\0';
}

/** A ustar archive of `files` (names up to 100 bytes), as GNU or POSIX tar would write it. */
export function makeTar(files: { name: string; data: Uint8Array }[]): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const { name, data } of files) {
    const header = new Uint8Array(512);
    const ascii = (text: string, at: number) => header.set(Buffer.from(text, 'ascii'), at);
    ascii(name, 0);
    ascii(octalField(0o644, 8), 100);
    ascii(octalField(0, 8), 108);
    ascii(octalField(0, 8), 116);
    ascii(octalField(data.length, 12), 124);
    ascii(octalField(0, 12), 136);
    ascii('0', 156);
    ascii('ustar\x0000', 257);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : header[i];
    ascii(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    blocks.push(header, data, new Uint8Array((512 - (data.length % 512)) % 512));
  }
  blocks.push(new Uint8Array(1024));
  return Buffer.concat(blocks);
}

/** A smooth colour image whose pixels tests can predict (JPEG keeps it within a few levels). */
export function photo(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = 10 + 2 * x + 3 * y + 50 * c;
  return { width, height, channels: 3, data };
}

/** The largest absolute difference between two byte arrays of one length. */
export function maxDifference(a: Uint8Array, b: Uint8Array): number {
  return a.reduce((worst, v, i) => Math.max(worst, Math.abs(v - b[i])), 0);
}
