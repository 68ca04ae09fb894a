/**
 * Which code ran: perturb's version and the git commit of the checkout a `perturb` script lives
 * in. `perturb train` records it in each run's `result.json` (runs of a grid may come from a
 * frozen checkout other than the one writing the report), and reports read it from there.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The code behind a run or a report; a field is absent where it cannot be found. */
export interface CodeProvenance {
  /** Git commit, with ` + uncommitted changes` when tracked files differ from it. */
  commit?: string;
  /** perturb's version (the cli package's). */
  version?: string;
}

/** `read()`, or undefined where it throws: provenance that cannot be found is "not recorded". */
function attempt<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** perturb's version and git commit, from the package and checkout of the `perturb` script `bin`. */
export function codeOf(bin: string): CodeProvenance {
  const folder = dirname(bin);
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', folder, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  // An installed package is no checkout of perturb: its version then says which code ran. It
  // may still sit inside the user's own repository (node_modules, untracked), whose commit is
  // not perturb's: only a checkout that tracks this package's manifest is perturb's.
  const commit = attempt(() => {
    git('ls-files', '--error-unmatch', '--', '../package.json');
    return (
      git('rev-parse', 'HEAD') +
      (git('status', '--porcelain', '--untracked-files=no') ? ' + uncommitted changes' : '')
    );
  });
  const version = attempt(
    () =>
      (JSON.parse(readFileSync(join(folder, '..', 'package.json'), 'utf8')) as { version?: string }).version,
  );
  return { ...(commit ? { commit } : {}), ...(version ? { version } : {}) };
}
