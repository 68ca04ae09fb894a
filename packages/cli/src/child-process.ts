/**
 * `perturb compare` runs every training in a child process joined to it by an IPC channel. The
 * channel closes when compare ends in any way, `kill -9` included, and a child then stops too
 * (releasing its run folder's lock): a grid's runs never outlive the compare that started them,
 * and a restarted compare resumes them from their checkpoints.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** Exit code of a child that stopped because its compare ended. */
export const PARENT_GONE_EXIT_CODE = 3;

/** In a child of compare (started with an IPC channel), ends the process when compare ends. */
export function endWithParent(): void {
  if (!process.send) return;
  process.on('disconnect', () => {
    process.stderr.write(
      'perturb: the compare that started this run has ended; stopping (rerun compare to resume)\n',
    );
    process.exit(PARENT_GONE_EXIT_CODE);
  });
  // The channel only watches the parent: it must not keep a finished child alive.
  process.channel?.unref();
}

/** Starts `node <script> <args>` as a child that ends with this process (see `endWithParent`). */
export function spawnTiedChild(
  script: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; stdout: number; stderr: number | 'inherit' },
): ChildProcess {
  return spawn(process.execPath, [script, ...args], {
    env: options.env,
    stdio: ['ignore', options.stdout, options.stderr, 'ipc'],
  });
}
