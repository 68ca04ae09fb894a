/**
 * A minimal reader of ustar archives (POSIX and GNU flavours): 512-byte header blocks, each
 * followed by the entry's data padded to 512 bytes, ended by zero blocks. Only what the CIFAR
 * archives need: regular files with names up to 255 bytes (name + prefix). Entries are views
 * into the archive's bytes, not copies.
 */
import { corruptFileError } from './corrupt';

const BLOCK = 512;

/** One regular file of a tar archive. */
export interface TarEntry {
  /** Path inside the archive, e.g. `cifar-10-batches-bin/data_batch_1.bin`. */
  readonly name: string;
  readonly data: Uint8Array;
}

function text(block: Uint8Array, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return Buffer.from(end < 0 ? field : field.subarray(0, end)).toString('utf8');
}

function octal(block: Uint8Array, start: number, length: number): number {
  const digits = text(block, start, length).trim();
  return digits === '' ? 0 : parseInt(digits, 8);
}

/** The header checksum: the sum of all header bytes, counting the checksum field as spaces. */
function headerChecksum(block: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i];
  return sum;
}

/** The regular files of the tar archive `bytes` (uncompressed); `source` names it in errors. */
export function readTar(bytes: Uint8Array, source: string): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  while (offset + BLOCK <= bytes.length) {
    const header = bytes.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) return entries;
    const stored = octal(header, 148, 8);
    if (Number.isNaN(stored) || stored !== headerChecksum(header)) {
      throw corruptFileError(source, `is not a valid tar archive: bad header checksum at byte ${offset}`);
    }
    const size = octal(header, 124, 12);
    const type = String.fromCharCode(header[156]);
    const prefix = text(header, 257, 5) === 'ustar' ? text(header, 345, 155) : '';
    const name = prefix ? `${prefix}/${text(header, 0, 100)}` : text(header, 0, 100);
    const dataStart = offset + BLOCK;
    if (dataStart + size > bytes.length) {
      throw corruptFileError(
        source,
        `is truncated: entry ${name} needs ${size} bytes, only ${bytes.length - dataStart} remain`,
      );
    }
    if (type === '0' || type === '\0')
      entries.push({ name, data: bytes.subarray(dataStart, dataStart + size) });
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
  }
  if (offset !== bytes.length)
    throw corruptFileError(source, `is truncated inside a tar header at byte ${offset}`);
  return entries;
}
