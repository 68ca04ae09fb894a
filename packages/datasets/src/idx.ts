/**
 * The IDX format of MNIST and Fashion-MNIST: two zero bytes, a type byte (0x08 = unsigned byte),
 * the number of dimensions, each dimension as a big-endian uint32, then the values row-major.
 */
import { PerturbError } from '@perturb/core';
import type { Dataset } from './dataset';
import { checkLabels } from './dataset';
import { corruptFileError, countOf, readDataFile } from './files';

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

/** Reads an IDX file, plain or gzip. */
export function readIdxFile(path: string): IdxArray {
  return parseIdx(readDataFile(path), path);
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

/**
 * Loads an IDX images file (`N×H×W` or `N×H×W×C`) and its labels file (`N`), plain or gzip,
 * checking that they agree.
 */
export function loadIdxDataset(imagesPath: string, labelsPath: string, info: IdxDatasetInfo): Dataset {
  const images = readIdxFile(imagesPath);
  const labels = readIdxFile(labelsPath);
  if (images.dims.length !== 3 && images.dims.length !== 4) {
    throw corruptFileError(imagesPath, `has dims [${images.dims.join(', ')}], not images (N×H×W or N×H×W×C)`);
  }
  if (labels.dims.length !== 1) {
    throw corruptFileError(labelsPath, `has dims [${labels.dims.join(', ')}], not a label vector (N)`);
  }
  if (info.examples !== undefined) {
    for (const [path, array, what] of [
      [imagesPath, images, 'images'],
      [labelsPath, labels, 'labels'],
    ] as const) {
      if (array.dims[0] !== info.examples) {
        throw corruptFileError(
          path,
          `holds ${countOf(array.dims[0])} ${what}, expected ${countOf(info.examples)} (${info.name})`,
        );
      }
    }
  }
  if (images.dims[0] !== labels.dims[0]) {
    throw new PerturbError(
      `${imagesPath} holds ${images.dims[0]} images but ${labelsPath} holds ${labels.dims[0]} labels`,
      'The two files come from different splits or datasets: use the matching images and labels files',
    );
  }
  const numClasses = info.classNames.length;
  checkLabels(labels.data, numClasses, labelsPath);
  const [, height, width, channels = 1] = images.dims;
  return {
    name: info.name,
    images: images.data,
    labels: labels.data,
    shape: { height, width, channels },
    numClasses,
    classNames: info.classNames,
  };
}
