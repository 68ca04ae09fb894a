import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerturbError } from '@perturb/core';
import { describe, expect, it } from 'vitest';
import { fileSystemRefusal } from './file-errors';

/** The error Node throws for `syscall` on `path`. */
function nodeError(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${syscall} '${path}'`), { code, syscall, path });
}

describe('fileSystemRefusal', () => {
  it("names the path, the reason and the fix of a user's path or disk", () => {
    const refusal = fileSystemRefusal(nodeError('EACCES', 'mkdir', 'locked/run'));
    expect(refusal).toBeInstanceOf(PerturbError);
    expect(refusal?.message).toBe(
      'cannot mkdir locked/run: permission denied. choose a path you may write (--out, or out: in the config) or change its permissions',
    );
    expect(fileSystemRefusal(nodeError('EROFS', 'open', '/mnt/ro/a'))?.message).toMatch(
      /^cannot open \/mnt\/ro\/a: the file system is read-only\. choose a path on a writable disk$/,
    );
    expect(fileSystemRefusal(nodeError('ENOSPC', 'write', 'runs/a/x.tmp'))?.message).toMatch(
      /the disk is full\. free some space .* resumes/,
    );
  });

  it('turns the error Node really throws into one line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-file-errors-'));
    writeFileSync(join(dir, 'a-file'), '');
    let thrown: unknown;
    try {
      mkdirSync(join(dir, 'a-file', 'run'), { recursive: true });
    } catch (error) {
      thrown = error;
    }
    expect(fileSystemRefusal(thrown)?.message).toBe(
      `cannot mkdir ${join(dir, 'a-file', 'run')}: a part of the path is a file, not a folder. choose another path, or move that file away`,
    );
  });

  it('leaves every other error alone (a bug keeps its stack)', () => {
    expect(fileSystemRefusal(new Error('boom'))).toBeUndefined();
    expect(fileSystemRefusal(nodeError('EBADF', 'read', 'x'))).toBeUndefined();
    expect(fileSystemRefusal(Object.assign(new Error('x'), { code: 'EACCES' }))).toBeUndefined();
    expect(fileSystemRefusal(undefined)).toBeUndefined();
  });
});
