import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PerturbError } from './errors';
import { RUN_LOCK, lockRunFolder, runLockHolder, withRunLock } from './run-lock';

const folder = () => mkdtempSync(join(tmpdir(), 'perturb-lock-'));

/** A process that waits until killed: a lock holder whose liveness is real. */
function sleeper() {
  return spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
}

function writeLock(dir: string, pid: number): void {
  writeFileSync(
    join(dir, RUN_LOCK),
    JSON.stringify({
      pid,
      hostname: hostname(),
      startedAt: '2026-01-01T00:00:00Z',
      command: 'perturb train',
    }),
  );
}

describe('lockRunFolder', () => {
  it('holds a folder exclusively and releases it', async () => {
    const dir = folder();
    const lock = lockRunFolder(dir, 'perturb train');
    expect(JSON.parse(readFileSync(lock.path, 'utf8'))).toMatchObject({
      pid: process.pid,
      hostname: hostname(),
    });
    expect(() => lockRunFolder(dir, 'perturb train')).toThrow(PerturbError);
    expect(runLockHolder(dir)).toMatchObject({ pid: process.pid, command: 'perturb train' });
    lock.release();
    lock.release();
    expect(existsSync(lock.path)).toBe(false);
    expect(runLockHolder(dir)).toBeNull();
    await withRunLock(dir, 'perturb train', async () => expect(existsSync(lock.path)).toBe(true));
    expect(existsSync(lock.path)).toBe(false);
  });

  it("refuses a live holder's folder naming its pid, and takes over once it is killed", async () => {
    const dir = folder();
    const holder = sleeper();
    try {
      writeLock(dir, holder.pid!);
      expect(() => lockRunFolder(dir, 'perturb train')).toThrow(
        new RegExp(`is in use by process ${holder.pid} \\(perturb train, started 2026`),
      );
    } finally {
      const exited = new Promise((resolve) => holder.on('exit', resolve));
      holder.kill('SIGKILL');
      await exited;
    }
    const lock = lockRunFolder(dir, 'perturb train');
    expect(JSON.parse(readFileSync(lock.path, 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('takes over an unreadable lock file', () => {
    const dir = folder();
    writeFileSync(join(dir, RUN_LOCK), '');
    lockRunFolder(dir, 'perturb train').release();
    expect(existsSync(join(dir, RUN_LOCK))).toBe(false);
  });
});
