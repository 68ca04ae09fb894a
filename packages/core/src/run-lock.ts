/**
 * An exclusive lock per run folder, so two processes never write one run's files at once (one
 * run's `result.json` beside the other's checkpoint). The lock is a file created atomically
 * (hard-linked into place, which fails if it exists, so it is never seen half-written) holding
 * the holder's pid, host name and start time. A lock whose process is gone (killed with -9, the
 * machine restarted) is detected and taken over; the holder removes it when it exits.
 *
 * A process ended by a signal (Ctrl-C, SIGTERM) leaves its lock behind, to be taken over: a JS
 * signal listener would run only when the event loop is free, and training runs synchronously,
 * so listening for SIGINT would keep Ctrl-C from stopping a run until it ended.
 */
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { PerturbError } from './errors';
import { makeFolder } from './make-folder';

/** The lock file's name inside a run folder. */
export const RUN_LOCK = 'run.lock';

/** Who holds a run folder's lock. */
export interface RunLockHolder {
  pid: number;
  hostname: string;
  /** ISO 8601. */
  startedAt: string;
  /** What the holder is doing, e.g. `'perturb train'`. */
  command: string;
}

/** A held lock; `release` removes it (and is safe to call twice). */
export interface RunLock {
  readonly path: string;
  release(): void;
}

/**
 * Locks `dir` (created if missing) for this process. Throws a `PerturbError` naming the holder
 * when another live process holds it; takes over a lock whose process no longer runs on this
 * host.
 *
 * @param command what this process is doing, shown to a second process that is refused.
 */
export function lockRunFolder(dir: string, command: string): RunLock {
  makeFolder(dir);
  const path = join(dir, RUN_LOCK);
  const mine: RunLockHolder = {
    pid: process.pid,
    hostname: hostname(),
    startedAt: new Date().toISOString(),
    command,
  };
  const text = JSON.stringify(mine);
  const draft = `${path}.${process.pid}.draft`;
  writeFileSync(draft, text);
  try {
    if (!tryLink(draft, path)) {
      const holder = readHolder(path);
      if (holder && isLive(holder, path)) throw heldBy(dir, holder);
      takeOver(dir, path, holder, draft);
    }
  } finally {
    unlinkSync(draft);
  }
  return holdUntilExit(path, text);
}

/** Runs `work` holding `dir`'s lock, released when it settles. */
export async function withRunLock<T>(dir: string, command: string, work: () => Promise<T>): Promise<T> {
  const lock = lockRunFolder(dir, command);
  try {
    return await work();
  } finally {
    lock.release();
  }
}

function tryLink(from: string, to: string): boolean {
  try {
    linkSync(from, to);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** Who holds `dir`'s lock, or null when nobody does (or its file cannot be read). */
export function runLockHolder(dir: string): RunLockHolder | null {
  return readHolder(join(dir, RUN_LOCK));
}

/** The lock's holder, or null when the file is gone or unreadable (not ours to trust). */
function readHolder(path: string): RunLockHolder | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as RunLockHolder;
  } catch {
    return null;
  }
}

/**
 * Whether the holder may still be running. A process on another host cannot be checked, so it
 * counts as live; so does one that exists but is not ours to signal (EPERM).
 */
function isLive(holder: RunLockHolder, path: string): boolean {
  if (holder.hostname !== hostname()) return true;
  // Our own pid in a lock we do not hold: a previous life of this pid (a container restarted).
  if (holder.pid === process.pid) return heldHere.has(path);
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function heldBy(dir: string, holder: RunLockHolder): PerturbError {
  const where = holder.hostname === hostname() ? '' : ` on ${holder.hostname}`;
  return new PerturbError(
    `${dir} is in use by process ${holder.pid}${where} (${holder.command}, started ${holder.startedAt})`,
    `wait for it to end or stop it (kill ${holder.pid}), or choose another output folder; if that process is gone, delete ${join(dir, RUN_LOCK)}`,
  );
}

/**
 * Replaces a dead holder's lock with ours. The stale file is first moved aside under a name of
 * our own: of two processes taking over at once only one can move it, and the other then finds
 * the winner's lock when it links its own.
 */
function takeOver(dir: string, path: string, stale: RunLockHolder | null, draft: string): void {
  const aside = `${path}.${process.pid}.stale`;
  try {
    renameSync(path, aside);
    unlinkSync(aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (!tryLink(draft, path)) {
    const winner = readHolder(path);
    throw heldBy(dir, winner ?? stale ?? unknownHolder());
  }
}

function unknownHolder(): RunLockHolder {
  return { pid: -1, hostname: hostname(), startedAt: 'at an unknown time', command: 'another process' };
}

/** Lock files this process holds. */
const heldHere = new Set<string>();

/** Removes the lock when released or, at the latest, when the process exits. */
function holdUntilExit(path: string, text: string): RunLock {
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    heldHere.delete(path);
    process.off('exit', release);
    // Only our own lock: a folder deleted and locked anew by another run is left alone.
    if (readFileSafe(path) === text) unlinkSync(path);
  };
  heldHere.add(path);
  process.on('exit', release);
  return { path, release };
}

function readFileSafe(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}
