/**
 * `mkdir -p` that fails instead of hanging. Node's own recursive `mkdirSync` loops forever when
 * a folder's parent exists but refuses children with ENOENT (procfs, sysfs: `--out /proc/runs`),
 * so the missing levels are made one at a time, and each refusal surfaces as an error.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Creates `dir` and every missing folder above it; does nothing when it exists. */
export function makeFolder(dir: string): void {
  const missing: string[] = [];
  for (let level = resolve(dir); !existsSync(level); level = dirname(level)) {
    missing.unshift(level);
    if (dirname(level) === level) break;
  }
  for (const level of missing) {
    try {
      mkdirSync(level);
    } catch (error) {
      // Another process made it in between: as good as made here.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}
