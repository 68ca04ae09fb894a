/**
 * The IDX format of MNIST and Fashion-MNIST: two zero bytes, a type byte (0x08 = unsigned byte),
 * the number of dimensions, each dimension as a big-endian uint32, then the values row-major.
 */
import { PerturbError } from '@perturb/core';
import { corruptFileError } from './corrupt';

const UBYTE = 0x08;

/** A decoded IDX array of unsigned bytes. */
export interface IdxArray {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

/** Decodes IDX `bytes` (already inflated); `source` names the file in errors. */
export function parseIdx(bytes: Uint8Array, source: string): IdxArray {
  if (bytes.length < 4)
    throw corruptFileError(source, `is truncated: ${bytes.length} bytes, shorter than an IDX header`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join('');
    throw corruptFileError(
      source,
      `is not an IDX file: magic number 0x${magic} does not start with two zero bytes`,
    );
  }
  if (bytes[2] !== UBYTE) {
    throw corruptFileError(
      source,
      `holds IDX type 0x${bytes[2].toString(16)}, but only unsigned bytes (0x08) are supported`,
    );
  }
  const rank = bytes[3];
  const headerSize = 4 + 4 * rank;
  if (bytes.length < headerSize) throw corruptFileError(source, `is truncated inside its IDX header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const expected = headerSize + dims.reduce((a, b) => a * b, 1);
  if (bytes.length < expected) {
    throw corruptFileError(
      source,
      `is truncated: its header [${dims.join(', ')}] needs ${expected} bytes, found ${bytes.length}`,
    );
  }
  if (bytes.length > expected) {
    throw corruptFileError(
      source,
      `has ${bytes.length - expected} bytes after the ${expected} its header [${dims.join(', ')}] describes`,
    );
  }
  return { dims, data: bytes.subarray(headerSize, expected) };
}

/** Encodes unsigned bytes as an IDX array (uncompressed), e.g. to save a subset. */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  const size = dims.reduce((a, b) => a * b, 1);
  if (size !== data.length) {
    throw new PerturbError(
      `IDX dims [${dims.join(', ')}] describe ${size} values but ${data.length} were given`,
      'Pass dims whose product is data.length',
    );
  }
  const out = new Uint8Array(4 + 4 * dims.length + size);
  const view = new DataView(out.buffer);
  out[2] = UBYTE;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

/** What an IDX image/label file pair is about. */
export interface IdxDatasetInfo {
  readonly name: string;
  readonly classNames: readonly string[];
  /**
   * Examples both files must hold, e.g. 60,000 for MNIST's training split: an IDX file whose
   * header agrees with its length can still be a cut or another split's. Default: any count.
   */
  readonly examples?: number;
}
