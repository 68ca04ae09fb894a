/** A training run's storage in a folder (Node): every write atomic, names as relative paths. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeStaleTempFiles, writeFileAtomic } from './atomic';
import type { RunStorage } from './run-storage';

/**
 * The {@link RunStorage} of the folder `dir` (created on the first write). Reading a file first
 * removes the temp files killed writers left beside it.
 */
export function runFolder(dir: string): RunStorage {
  return {
    read: (name) => {
      const path = join(dir, name);
      removeStaleTempFiles(path);
      return existsSync(path) ? readFileSync(path) : undefined;
    },
    write: (name, data) => writeFileAtomic(join(dir, name), data),
    describe: (name) => join(dir, name),
  };
}
