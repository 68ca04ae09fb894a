/**
 * Runs the PyTorch peers (this package's peers/*.py and ../shared/peers/*.py) in the same
 * sitting as our own timings, so the ratios compare like with like on a noisy shared machine.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface PeerRun {
  /** Milliseconds per step, or null when the peer could not run. */
  ms: number | null;
  threads: number;
  note?: string;
}

/**
 * The path of peer `script`: the first folder holding it of `PERTURB_PEERS`, this package's own
 * `peers/` (peers written in this repository) and `../shared/peers` above the repository.
 */
export function findPeer(repoRoot: string, script: string): string | null {
  const dirs = [process.env.PERTURB_PEERS, `${repoRoot}/packages/bench/peers`, `${repoRoot}/../shared/peers`];
  const paths = dirs.filter((dir): dir is string => Boolean(dir)).map((dir) => `${dir}/${script}`);
  return paths.find((path) => existsSync(path)) ?? null;
}

/** Whether `/usr/bin/python3` (or `PERTURB_PYTHON`) can import torch. */
export function pythonWithTorch(): string | null {
  const python = process.env.PERTURB_PYTHON ?? '/usr/bin/python3';
  try {
    execFileSync(python, ['-c', 'import torch'], { stdio: 'ignore' });
    return python;
  } catch {
    return null;
  }
}

/** Runs one peer script with `args` and `--threads n`; reads `ms_per_step` from its JSON line. */
export function runPeer(python: string, script: string, args: string[], threads: number): PeerRun {
  try {
    const out = execFileSync(python, [script, ...args, '--threads', String(threads)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 30 * 60_000,
    });
    const line = out.trim().split('\n').pop() ?? '{}';
    const parsed = JSON.parse(line) as { ms_per_step?: number; threads?: number };
    return { ms: parsed.ms_per_step ?? null, threads: parsed.threads ?? threads };
  } catch (error) {
    return { ms: null, threads, note: (error as Error).message.split('\n')[0] };
  }
}
