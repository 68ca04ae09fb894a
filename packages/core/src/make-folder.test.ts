import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeFolder } from './make-folder';

describe('makeFolder', () => {
  it('makes every missing level, and accepts a folder that exists', () => {
    const root = mkdtempSync(join(tmpdir(), 'perturb-folder-'));
    makeFolder(join(root, 'a', 'b', 'c'));
    expect(existsSync(join(root, 'a', 'b', 'c'))).toBe(true);
    makeFolder(join(root, 'a', 'b'));
  });

  it('throws where Node’s recursive mkdir would refuse or hang', () => {
    const root = mkdtempSync(join(tmpdir(), 'perturb-folder-'));
    writeFileSync(join(root, 'file'), '');
    expect(() => makeFolder(join(root, 'file', 'run'))).toThrow(/ENOTDIR/);
    // procfs refuses new folders with ENOENT, on which Node 20's { recursive: true } loops forever.
    if (existsSync('/proc/self')) expect(() => makeFolder('/proc/perturb-runs/a')).toThrow(/ENOENT/);
  });
});
