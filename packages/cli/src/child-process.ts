/**
 * `perturb compare` runs every training in a child process, and a grid's runs must never
 * outlive the compare that started them (two grids would then train one folder at once). A
 * child cannot watch its parent itself: training runs synchronously, so its event loop would
 * notice nothing until the run ended. So compare starts a watchdog, a tiny idle process joined
 * to it by an IPC channel, and tells it every child's pid: the channel closes when compare ends
 * in any way, `kill -9` included, and the watchdog then kills the children still running. A
 * restarted compare resumes their runs from their checkpoints (their folders' locks, left by
 * killed processes, are taken over).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { MAX_WASM_THREADS } from '@perturb/core';

/** The watchdog's program: remember pids, kill those still listed when the parent is gone. */
const WATCHDOG = `
const pids = new Set();
process.on('message', ({ start, end }) => {
  if (start) pids.add(start);
  if (end) pids.delete(end);
});
process.on('disconnect', () => {
  for (const pid of pids) {
    try { process.kill(pid, 'SIGKILL'); } catch {}
  }
  process.exit(0);
});
`;

/** Kills the children it is told about when this process ends. */
export class ChildWatchdog {
  private readonly watchdog: ChildProcess;

  constructor() {
    this.watchdog = spawn(process.execPath, ['-e', WATCHDOG], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    // Neither the watchdog nor its channel may keep this process alive.
    this.watchdog.unref();
    this.watchdog.channel?.unref();
  }

  /** Starts `node <script> <args>`, killed if this process ends before it does. */
  spawn(
    script: string,
    args: string[],
    options: { env: NodeJS.ProcessEnv; stdout: number | 'pipe'; stderr: number | 'inherit' },
  ): ChildProcess {
    const child = spawn(process.execPath, [script, ...args], {
      env: options.env,
      stdio: ['ignore', options.stdout, options.stderr],
    });
    if (child.pid !== undefined) {
      const pid = child.pid;
      this.watchdog.send({ start: pid });
      child.on('exit', () => this.watchdog.connected && this.watchdog.send({ end: pid }));
    }
    return child;
  }

  /** Ends the watchdog once every child has ended. */
  close(): void {
    if (this.watchdog.connected) this.watchdog.disconnect();
  }
}

/**
 * The wasm threads each of `count` children sharing the machine's `cores` gets: its part of
 * the cores, so threads do not outnumber them, and never more than wasm can use (a child
 * asked for more would refuse to start).
 */
export function threadsPerChild(count: number, cores: number = availableParallelism()): number {
  return Math.min(MAX_WASM_THREADS, Math.max(1, Math.floor(cores / count)));
}

/**
 * This process's environment for a child with `threads` wasm threads unless
 * PERTURB_WASM_THREADS says otherwise, seeing only GPU `device` if given.
 */
export function childEnvironment({
  threads,
  device,
}: {
  threads?: number;
  device?: string;
}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  if (threads !== undefined && !env.PERTURB_WASM_THREADS) env.PERTURB_WASM_THREADS = String(threads);
  if (device !== undefined) env.CUDA_VISIBLE_DEVICES = device;
  return env;
}

/**
 * Settles when `child` ends and its output has been read ('close', not 'exit', which can come
 * before the last lines of a piped stdout): resolves if it exited with 0, else rejects naming
 * its exit code or signal.
 */
export function childExit(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolvePromise();
      else reject(new Error(signal ? `killed by ${signal}` : `exited with code ${code}`));
    });
  });
}

/**
 * Runs `perturb <args>` (`bin` is the script) as a child of `children`, its output appended to
 * `logPath` (and its stderr shown if `echo`), in {@link childEnvironment}'s environment. Rejects
 * when the child fails, naming its exit code or signal.
 */
export async function runChild(
  children: ChildWatchdog,
  bin: string,
  args: string[],
  logPath: string,
  { echo = false, threads, device }: { echo?: boolean; threads?: number; device?: string } = {},
): Promise<void> {
  const log = openSync(logPath, 'a');
  try {
    const env = childEnvironment({ threads, device });
    await childExit(children.spawn(bin, args, { env, stdout: log, stderr: echo ? 'inherit' : log }));
  } finally {
    closeSync(log);
  }
}
