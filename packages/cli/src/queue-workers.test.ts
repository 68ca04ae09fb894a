/**
 * Issue 20's integration test: real processes (the built `perturb` bin), a real Redis. A grid
 * of six tiny runs goes on the queue, two workers train it, one is killed with SIGKILL in the
 * middle of a run: the other takes the run over and resumes it from its checkpoint, every run
 * finishes exactly once, and its numbers are those of a local `perturb compare` of the grid.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type PerturbResult, startPerturb, waitFor } from './testing/perturb-process';
import { REDIS_MISSING, type TestRedis, startRedis } from './testing/redis-server';

const work = mkdtempSync(join(tmpdir(), 'perturb-queue-workers-'));
const METHODS = ['baseline', 'flip'];
const SEEDS = [0, 1, 2];
const EPOCHS = 4;
/**
 * Seventeen processes start here, thirteen of them training: about 40 CPU-seconds, mostly
 * loading tfjs. That is well under a minute on an idle 2-core machine, but about 130 s when
 * others' work keeps its load average near 27, hence the generous limit.
 */
const LIMIT_MS = 400_000;

/** What must match between two trainings of one run: every number but times. */
function numbers(runDir: string): unknown {
  const result = JSON.parse(readFileSync(join(runDir, 'result.json'), 'utf8')) as {
    test: unknown;
    epochs: Array<Record<string, unknown>>;
  };
  const untimed = result.epochs.map(({ seconds: _s, cpuSeconds: _c, ...rest }) => rest);
  return { test: result.test, epochs: untimed };
}

describe.skipIf(REDIS_MISSING !== null)(`perturb worker (${REDIS_MISSING ?? 'redis-server'})`, () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  /** The processes a test started: a failing test leaves none behind (their children end with them). */
  const started: ChildProcess[] = [];
  const start = (args: string[]) => {
    const perturb = startPerturb(args, { timeoutMs: LIMIT_MS });
    started.push(perturb.child);
    return perturb;
  };
  afterEach(() => {
    for (const child of started.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it(
    'trains every run exactly once across two workers, one killed mid-run, with the numbers of a local compare',
    async () => {
      const grid = join(work, 'grid.yaml');
      writeFileSync(
        grid,
        stringify({
          base: { model: 'lenet5', trainSize: 20, testSize: 20, batchSize: 10, epochs: EPOCHS },
          methods: { baseline: {}, flip: { augmenters: ['horizontalFlip'] } },
          seeds: SEEDS,
        }),
      );
      const queued = join(work, 'queued');
      const local = join(work, 'local');
      // Short locks: a killed worker's run goes back to the queue within seconds.
      const workerArgs = [
        'worker',
        '--queue',
        redis.url,
        '--concurrency',
        '1',
        '--lock-duration',
        '2000',
        '--stalled-interval',
        '1000',
      ];
      const compare = start(['compare', '--config', grid, '--out', queued, '--queue', redis.url]);
      const victim = start(workerArgs);
      const survivor = start(workerArgs);
      // The local compare runs meanwhile: the machine's two cores are shared anyway.
      const reference = start(['compare', '--config', grid, '--out', local, '--jobs', '2']).exited;
      let victimLog = '';
      victim.child.stderr!.on('data', (chunk: Buffer) => (victimLog += chunk.toString()));
      let survivorLog = '';
      survivor.child.stderr!.on('data', (chunk: Buffer) => (survivorLog += chunk.toString()));

      // Kill the victim once its run has a checkpoint (an epoch done) and has not finished.
      let killedRun = '';
      let checkpointed = '';
      await waitFor(
        () => {
          const dir = /started \(attempt \d+\) in (\S+)\n(?![\s\S]*started)/.exec(victimLog)?.[1];
          const metrics = dir && join(dir, 'metrics.jsonl');
          if (!dir || !existsSync(metrics!) || existsSync(join(dir, 'result.json'))) return false;
          killedRun = dir;
          checkpointed = readFileSync(metrics!, 'utf8').split('\n')[0];
          return true;
        },
        'a checkpoint of the victim worker',
        LIMIT_MS,
      );
      victim.child.kill('SIGKILL');

      const compared: PerturbResult = await compare.exited;
      expect(compared.code, compared.stderr).toBe(0);
      survivor.child.kill('SIGTERM');
      await Promise.all([victim.exited, survivor.exited]);
      const localCompared = await reference;
      expect(localCompared.code, localCompared.stderr).toBe(0);

      const finished = (log: string) => [...log.matchAll(/^worker: (.+) finished in /gm)].map((m) => m[1]);
      const names = METHODS.flatMap((method) => SEEDS.map((seed) => `${method} n20 s${seed}`));
      // Exactly once: each run finished by one worker, the killed run by the survivor.
      expect([...finished(victimLog), ...finished(survivorLog)].sort()).toEqual(names.sort());
      expect(survivorLog).toContain(`in ${killedRun}\n`);
      // Resumed, not started over: the epoch trained before the kill (its wall time included) stands.
      const resumed = JSON.parse(readFileSync(join(killedRun, 'result.json'), 'utf8')) as {
        epochs: unknown[];
      };
      expect(resumed.epochs[0]).toEqual(JSON.parse(checkpointed));
      expect(resumed.epochs).toHaveLength(EPOCHS);

      for (const method of METHODS) {
        for (const seed of SEEDS) {
          const run = join('runs', method, `n20-s${seed}`);
          expect(numbers(join(queued, run)), run).toEqual(numbers(join(local, run)));
        }
      }
      expect(readFileSync(join(queued, 'report.md'), 'utf8')).toMatch(/\| flip \| 20 \| 3 \|/);
    },
    LIMIT_MS + 20_000,
  );
});
