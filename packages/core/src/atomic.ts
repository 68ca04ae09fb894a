/** Writes that never leave a half-written file behind: temp file, fsync, rename. */
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { dirname, basename, join } from 'node:path';
import { PerturbError } from './errors';
import { makeFolder } from './make-folder';

/** This host in temp file names, dots (the names' separator) and other punctuation replaced. */
const HOST_TAG = hostname().replace(/[^A-Za-z0-9-]/g, '-');

/**
 * Writes `data` to `path` atomically: readers see either the old file or the complete new one,
 * even if the process dies mid-write. Creates the parent folder if needed, and first removes
 * the temp files that killed writers left for `path` ({@link removeStaleTempFiles}).
 */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const dir = dirname(path);
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw new PerturbError(
      `${path} is a folder, not a file`,
      'pass the path of a file, or remove the folder',
    );
  }
  makeFolder(dir);
  removeStaleTempFiles(path);
  const temp = join(dir, `${tempPrefix(path)}${process.pid}.${Date.now()}.${HOST_TAG}.tmp`);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  try {
    const fd = openSync(temp, 'w');
    try {
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/**
 * Removes the temp files `.<name>.<pid>.<time>.<host>.tmp` of `path` whose writer is no longer
 * running: a process killed mid-write cannot remove its own, and each would otherwise stay for
 * good. Temp files of live processes (a concurrent writer) are left alone, and so are those
 * written on other hosts (a folder on shared storage): whether their writer lives cannot be
 * known from here. Returns the removed paths.
 */
export function removeStaleTempFiles(path: string): string[] {
  const dir = dirname(path);
  if (!existsSync(dir)) return [];
  const prefix = tempPrefix(path);
  const removed: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (!entry.startsWith(prefix) || !entry.endsWith('.tmp')) continue;
    const [pidText, , host] = entry.slice(prefix.length, -'.tmp'.length).split('.');
    const pid = Number(pidText);
    // Temp files named before the host was part of the name count as this host's.
    if (host !== undefined && host !== HOST_TAG) continue;
    if (!Number.isInteger(pid) || pid === process.pid || isRunning(pid)) continue;
    rmSync(join(dir, entry), { force: true });
    removed.push(join(dir, entry));
  }
  return removed;
}

function tempPrefix(path: string): string {
  return `.${basename(path)}.`;
}

/** Whether a process with this id exists (signal 0 checks without sending anything). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
