/**
 * The file system's refusals as one line for the `perturb` command: an output folder the user
 * cannot write, a path through a file, a full disk. Node's error (`EACCES: permission denied,
 * mkdir 'runs/a'`) names the path but not the fix, and the command would print it as a crash.
 */
import { PerturbError } from '@perturb/core';

const WRITABLE_PATH = 'choose a path you may write (--out, or out: in the config) or change its permissions';
const FREE_SPACE =
  'free some space and run the command again (an interrupted run resumes from its last checkpoint)';

/** The problem and fix of each error code a user's paths or disk cause (not perturb's bugs). */
const REASONS: Record<string, { problem: string; fix: string }> = {
  EACCES: { problem: 'permission denied', fix: WRITABLE_PATH },
  EPERM: { problem: 'operation not permitted', fix: WRITABLE_PATH },
  EROFS: { problem: 'the file system is read-only', fix: 'choose a path on a writable disk' },
  ENOTDIR: {
    problem: 'a part of the path is a file, not a folder',
    fix: 'choose another path, or move that file away',
  },
  EISDIR: { problem: 'it is a folder, not a file', fix: 'give the path of a file' },
  ENOSPC: { problem: 'the disk is full', fix: FREE_SPACE },
  EDQUOT: { problem: 'the disk quota is used up', fix: FREE_SPACE },
};

/**
 * mkdir's ENOENT: perturb makes a folder's missing parents first (`makeFolder`), so this is a
 * file system that allows no folders there (procfs, sysfs).
 */
const NO_FOLDERS_HERE = { problem: 'this file system allows no folders there', fix: WRITABLE_PATH };

/** `error` as a PerturbError when the file system refused a path for one of those reasons. */
export function fileSystemRefusal(error: unknown): PerturbError | undefined {
  const { code, path, syscall } = (error ?? {}) as NodeJS.ErrnoException;
  const reason = code === 'ENOENT' && syscall === 'mkdir' ? NO_FOLDERS_HERE : REASONS[code ?? ''];
  if (!reason || path === undefined) return undefined;
  return new PerturbError(`cannot ${syscall ?? 'use'} ${path}: ${reason.problem}`, reason.fix);
}
