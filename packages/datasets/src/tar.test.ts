import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTar } from './tar';
import { makeTar, put, tempDir } from './testing/fixtures';

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * seed + 3) % 251);

function hasTar(): boolean {
  try {
    execFileSync('tar', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('readTar', () => {
  it('reads regular files of every size around the 512-byte block', () => {
    const files = [0, 1, 511, 512, 513, 3073].map((n, i) => ({
      name: `dir/file${i}.bin`,
      data: bytes(n, i + 1),
    }));
    const entries = readTar(makeTar(files), 'mem.tar');
    expect(entries.map((e) => e.name)).toEqual(files.map((f) => f.name));
    entries.forEach((e, i) => expect(Array.from(e.data)).toEqual(Array.from(files[i].data)));
  });

  it.skipIf(!hasTar())(
    'reads an archive written by the system tar (GNU format), skipping directories',
    () => {
      const dir = tempDir();
      put(join(dir, 'src', 'cifar-10-batches-bin', 'data_batch_1.bin'), bytes(7000, 5));
      put(join(dir, 'src', 'cifar-10-batches-bin', 'readme.html'), bytes(10, 9));
      execFileSync('tar', ['-cf', join(dir, 'out.tar'), '-C', join(dir, 'src'), 'cifar-10-batches-bin']);
      const entries = readTar(readFileSync(join(dir, 'out.tar')), 'out.tar');
      const names = entries.map((e) => e.name).sort();
      expect(names).toEqual(['cifar-10-batches-bin/data_batch_1.bin', 'cifar-10-batches-bin/readme.html']);
      const batch = entries.find((e) => e.name.endsWith('data_batch_1.bin'))!;
      expect(Array.from(batch.data)).toEqual(Array.from(bytes(7000, 5)));
    },
  );

  it('rejects a truncated archive', () => {
    const tar = makeTar([{ name: 'a.bin', data: bytes(2000, 1) }]);
    expect(() => readTar(tar.subarray(0, 1200), 'cut.tar')).toThrow(
      /cut\.tar is truncated: entry a\.bin needs 2000 bytes/,
    );
    expect(() => readTar(tar.subarray(0, 300), 'cut.tar')).toThrow(/truncated inside a tar header/);
  });

  it('rejects a file that is not a tar archive', () => {
    expect(() => readTar(bytes(1024, 7), 'noise.bin')).toThrow(
      /noise\.bin is not a valid tar archive: bad header checksum at byte 0/,
    );
  });
});
