/**
 * A folder whose new files appear all together or not at all: written into a hidden staging
 * folder inside it, moved into place (a rename each) once all are written, removed on failure.
 * So a command that fails on its 500th photo leaves the folder as it found it.
 */
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { PerturbError } from '@perturb/core';
import { withRunLock, writeFileAtomic } from '@perturb/core/node';

/** The staging folder's name inside the output folder. */
const STAGING = '.partial';

/** Files being written into a folder, see {@link withStagedFolder}. */
export interface StagedFolder {
  /** The folder the files go into. */
  readonly dir: string;
  /**
   * Stages `data` as `name` in the folder; a name already written gets `-2`, `-3`… before its
   * extension (two photos `a/x.jpg` and `b/x.jpg`). Returns the name used.
   */
  write(name: string, data: Uint8Array | string): string;
}

/**
 * Runs `work` with a {@link StagedFolder} for `dir` (created if missing) and moves its files
 * into `dir` when `work` succeeds, replacing files of the same names; when it fails, none is.
 * The folder is locked meanwhile (core's run lock), so two processes never stage into one.
 * `option` names the setting `dir` came from, for the refusal of a path that is a file.
 */
export async function withStagedFolder<T>(
  dir: string,
  option: string,
  command: string,
  work: (folder: StagedFolder) => Promise<T> | T,
): Promise<T> {
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    throw new PerturbError(
      `${option} ${dir} is a file, but the outputs go into a folder`,
      'name a folder (it is created if missing)',
    );
  }
  return withRunLock(dir, command, async () => {
    const staging = join(dir, STAGING);
    // Left by a process that was killed: the lock says none is staging now.
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging);
    const names = new Set<string>();
    const folder: StagedFolder = {
      dir,
      write(name, data) {
        const unique = uniqueName(name, names);
        writeFileAtomic(join(staging, unique), data);
        names.add(unique);
        return unique;
      },
    };
    try {
      const result = await work(folder);
      for (const name of names) renameSync(join(staging, name), join(dir, name));
      return result;
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  });
}

/** `name`, or the first of `stem-2.ext`, `stem-3.ext`… not among `taken`. */
function uniqueName(name: string, taken: ReadonlySet<string>): string {
  const extension = extname(name);
  const stem = name.slice(0, name.length - extension.length);
  let candidate = name;
  for (let n = 2; taken.has(candidate); n++) candidate = `${stem}-${n}${extension}`;
  return candidate;
}
