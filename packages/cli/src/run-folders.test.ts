/**
 * Run folders cannot be mixed up, tried with real processes of the built bin: one process per
 * run folder (a second is refused naming the holder, a killed holder's lock is taken over), and
 * compare's children end with compare, which then resumes.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { RUN_LOCK, runLockHolder } from '@perturb/core/node';
import { runPerturb, startPerturb, waitFor } from './testing/perturb-process';

/** Long enough to be interrupted: the processes are stopped long before it ends. */
const LONG = { model: 'lenet5', trainSize: 100, testSize: 20, batchSize: 10, epochs: 50 };
/** Short enough to finish in a few seconds. */
const SHORT = { model: 'lenet5', trainSize: 20, testSize: 20, batchSize: 10, epochs: 2 };

/** The pid holding `folder`'s lock; undefined while a taking-over process has the file renamed away. */
const holder = (folder: string) => runLockHolder(folder)?.pid;
const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('run folders', () => {
  it('admit one process at a time, and a killed holder frees them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-lock-'));
    const config = join(dir, 'run.yaml');
    const out = join(dir, 'run');
    writeFileSync(config, stringify({ ...LONG, out }));

    const first = startPerturb(['train', '--config', config, '--quiet']);
    await waitFor(() => existsSync(join(out, RUN_LOCK)), 'the first run to lock its folder');
    const second = await runPerturb(['train', '--config', config, '--quiet']);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(new RegExp(`is in use by process ${first.child.pid} \\(perturb train`));

    // Stopped by a signal, it leaves its lock (see core's run-lock.ts), which the next run takes over.
    first.child.kill('SIGTERM');
    expect((await first.exited).signal).toBe('SIGTERM');
    expect(holder(out)).toBe(first.child.pid);

    const next = startPerturb(['train', '--config', config, '--quiet']);
    await waitFor(() => holder(out) === next.child.pid, "the dead holder's lock to be taken over");
    next.child.kill('SIGKILL');
    await next.exited;
  });

  it("end compare's children with compare, and a restarted compare finishes the grid", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-compare-kill-'));
    const grid = join(dir, 'grid.yaml');
    writeFileSync(
      grid,
      stringify({ base: SHORT, methods: { baseline: {} }, jobs: 1, out: join(dir, 'out') }),
    );
    const run = join(dir, 'out', 'runs', 'baseline', 'n20-s0');

    const compare = startPerturb(['compare', '--config', grid]);
    await waitFor(() => holder(run) !== undefined, 'the child run to lock its folder');
    const child = holder(run)!;
    compare.child.kill('SIGKILL');
    await compare.exited;
    await waitFor(() => !isAlive(child), 'the child to end with compare', 20_000);
    expect(existsSync(join(run, 'result.json'))).toBe(false);

    const again = await runPerturb(['compare', '--config', grid]);
    expect(again.code, again.stderr).toBe(0);
    expect(existsSync(join(run, 'result.json'))).toBe(true);
  });
});
