/** Reading data files from disk, inflating gzip transparently. */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { PerturbError } from '@perturb/core';
import { CORRUPT_FIX } from './corrupt';

/** True if `bytes` start with the gzip magic number (content decides, not the file name). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Inflates `bytes` if they are gzip, else returns them as they are. `source` names them in errors. */
export function maybeGunzip(bytes: Uint8Array, source: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (error) {
    throw new PerturbError(
      `${source} is not a complete gzip file (${(error as Error).message})`,
      CORRUPT_FIX,
    );
  }
}

/**
 * The contents of the file at `path`, inflated if gzip, as a plain `Uint8Array` view: a Node
 * `Buffer` would leak into datasets, where its `slice` shares memory and its constructor is the
 * deprecated `Buffer()`.
 */
export function readDataFile(path: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new PerturbError(
      `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      'Check that the file exists and is readable',
    );
  }
  const data = maybeGunzip(bytes, path);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
