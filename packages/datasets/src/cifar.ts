/**
 * The CIFAR binary format: fixed-size records of label byte(s) then 3072 pixel bytes in CHW order
 * (1024 red, 1024 green, 1024 blue, each row-major 32×32). CIFAR-10 records carry one label byte,
 * CIFAR-100 records two (coarse, then fine).
 */
import { PerturbError } from '@perturb/core';
import type { Dataset } from './dataset';
import { checkLabels } from './dataset';
import { corruptFileError, countOf } from './corrupt';

const SIDE = 32;
const CHANNELS = 3;
const PIXELS = SIDE * SIDE * CHANNELS;

/** Which CIFAR-100 label to use: the 100 classes or the 20 superclasses. */
export type CifarLabelMode = 'fine' | 'coarse';

/** A chunk of CIFAR records and the file it came from (for error messages). */
export interface CifarChunk {
  readonly source: string;
  readonly bytes: Uint8Array;
}

/** How to decode a set of CIFAR record chunks. */
export interface CifarDecodeOptions {
  readonly name: string;
  /** 1 for CIFAR-10, 2 for CIFAR-100. */
  readonly labelBytes: 1 | 2;
  readonly classNames: readonly string[];
  /** Which label byte of a two-label record to keep. Default `'fine'`. */
  readonly labelMode?: CifarLabelMode;
  /**
   * Records every chunk must hold, e.g. 10,000 for a CIFAR-10 batch: a file cut at a record
   * boundary is whole records, so only its count tells it is incomplete. Default: any count.
   */
  readonly recordsPerChunk?: number;
}

/** Decodes CIFAR record chunks into one NHWC dataset, in chunk order. */
export function decodeCifar(chunks: readonly CifarChunk[], options: CifarDecodeOptions): Dataset {
  const recordSize = options.labelBytes + PIXELS;
  for (const { source, bytes } of chunks) {
    if (bytes.length === 0 || bytes.length % recordSize !== 0) {
      throw corruptFileError(
        source,
        `is ${bytes.length} bytes, not a whole number of ${recordSize}-byte CIFAR records (${options.labelBytes} label byte(s) + ${PIXELS} pixels)`,
      );
    }
    const records = bytes.length / recordSize;
    if (options.recordsPerChunk !== undefined && records !== options.recordsPerChunk) {
      throw corruptFileError(
        source,
        `holds ${countOf(records)} CIFAR records (${recordSize} bytes each), expected ${countOf(options.recordsPerChunk)} (${options.name})`,
      );
    }
  }
  const count = chunks.reduce((n, c) => n + c.bytes.length / recordSize, 0);
  const images = new Uint8Array(count * PIXELS);
  const labels = new Uint8Array(count);
  const labelOffset = options.labelBytes === 2 && (options.labelMode ?? 'fine') === 'fine' ? 1 : 0;
  let n = 0;
  for (const { source, bytes } of chunks) {
    const first = n;
    for (let record = 0; record < bytes.length; record += recordSize, n++) {
      labels[n] = bytes[record + labelOffset];
      transposeChwToHwc(
        bytes.subarray(record + options.labelBytes, record + recordSize),
        images.subarray(n * PIXELS, (n + 1) * PIXELS),
      );
    }
    checkLabels(labels.subarray(first, n), options.classNames.length, source);
  }
  return {
    name: options.name,
    images,
    labels,
    shape: { height: SIDE, width: SIDE, channels: CHANNELS },
    numClasses: options.classNames.length,
    classNames: options.classNames,
  };
}

function transposeChwToHwc(chw: Uint8Array, hwc: Uint8Array): void {
  const plane = SIDE * SIDE;
  for (let p = 0; p < plane; p++) {
    hwc[p * 3] = chw[p];
    hwc[p * 3 + 1] = chw[plane + p];
    hwc[p * 3 + 2] = chw[2 * plane + p];
  }
}

/** A `PerturbError` for a CIFAR file missing from an archive or folder. */
export function missingCifarFile(file: string, where: string): PerturbError {
  return new PerturbError(
    `${where} has no ${file}`,
    'It is incomplete or another archive: replace it with the original CIFAR binary version',
  );
}
