import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type RunFailure, planGrid, readCompareConfig, runCompare } from './compare';
import {
  QUEUE_NAME,
  type RunJobData,
  enqueueRuns,
  parseQueueUrl,
  queueExecutor,
  queueStatus,
  withQueue,
} from './queue';
import { writeCompareReport } from './report';
import { fakeBin } from './testing/fake-perturb';
import { startWorker } from './worker';
import { REDIS_MISSING, type TestRedis, startRedis } from './testing/redis-server';

describe('queue URLs', () => {
  it('accepts redis:// and rediss:// URLs and refuses anything else in one line', () => {
    expect(parseQueueUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(parseQueueUrl('rediss://user:secret@cache.example:6380/2')).toMatch(/^rediss:/);
    for (const bad of ['127.0.0.1:6379', 'http://host:6379', 'redis://', 'redis']) {
      expect(() => parseQueueUrl(bad)).toThrow(/is not a Redis URL\. give redis:\/\/host:port/);
    }
  });
});

describe.skipIf(REDIS_MISSING !== null)(`the grid's queue (${REDIS_MISSING ?? 'redis-server'})`, () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  /** A three-run grid (one method, seeds 0–2) in a fresh folder. */
  function grid() {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-queue-'));
    const path = join(dir, 'grid.yaml');
    writeFileSync(
      path,
      stringify({ methods: { baseline: { epochs: 5 } }, seeds: [0, 1, 2], out: join(dir, 'out') }),
    );
    return readCompareConfig(path);
  }

  /** The grid planned as compare does. */
  const plan = () => planGrid(grid(), {});

  it('enqueues each run once, however often the grid is enqueued', async () => {
    const grid = plan();
    await withQueue(redis.url, async (queue) => {
      expect(await enqueueRuns(queue, grid)).toBe(3);
      expect(await enqueueRuns(queue, grid)).toBe(0);
      // Two compares enqueueing at once add nothing either.
      expect(await Promise.all([enqueueRuns(queue, grid), enqueueRuns(queue, grid)])).toEqual([0, 0]);
      const jobs = await queue.getJobs(['waiting']);
      const mine = jobs.filter((job) => job.data.grid === grid.out);
      expect(mine.map((job) => job.id).sort()).toEqual(grid.pending.map((run) => run.dir).sort());
      expect(mine[0].opts.attempts).toBe(3);
      await queue.obliterate({ force: true });
    });
  });

  it("prints each run's state: finished, active with progress, failed with the error, waiting", async () => {
    const grid = plan();
    const [finished, failing, running] = grid.pending;
    let release = () => undefined as void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    // A stand-in for `perturb worker`: finishes seed 0, fails seed 1, holds seed 2 at 40%.
    const worker = new Worker<RunJobData>(
      QUEUE_NAME,
      async (job) => {
        const { run } = job.data;
        if (run.dir === finished.dir) {
          mkdirSync(finished.dir, { recursive: true });
          writeFileSync(join(finished.dir, 'result.json'), '{}');
        } else if (run.dir === failing.dir) {
          throw new Error('exited with code 2: perturb: the data is broken');
        } else {
          await job.updateProgress({ percent: 40, done: 'epoch 2/5' });
          await held;
        }
      },
      { connection, concurrency: 3 },
    );
    try {
      await withQueue(redis.url, async (queue) => {
        await enqueueRuns(queue, grid, { attempts: 1 });
        let status = '';
        // The held job turns active before its progress lands: wait for both (a loaded machine
        // can show the state in between).
        const settled = () => status.includes('1 active, 1 failed') && status.includes('active 40%');
        for (let tries = 0; tries < 400 && !settled(); tries++) {
          await new Promise((wake) => setTimeout(wake, 50));
          status = await queueStatus(queue, grid.runs);
        }
        expect(status.split('\n')).toEqual([
          'baseline n0 s0  finished',
          'baseline n0 s1  failed exited with code 2: perturb: the data is broken (after 1 attempt(s))',
          'baseline n0 s2  active 40% (epoch 2/5)',
          '3 run(s): 1 finished, 1 active, 1 failed',
          '',
        ]);
        expect(running.dir).toMatch(/n0-s2$/);
        // Enqueueing again retries the failed run, from its first attempt.
        release();
        await worker.close();
        expect(await enqueueRuns(queue, { ...grid, pending: [failing] })).toBe(1);
        expect(await queueStatus(queue, [failing])).toMatch(/^baseline n0 s1 {2}waiting\n/);
        await queue.obliterate({ force: true });
      });
    } finally {
      release();
      await worker.close();
      connection.disconnect();
    }
  });

  it('waits for the runs, and the report names a run whose attempts were spent', async () => {
    const config = grid();
    const tries = new Map<number, number>();
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    // A stand-in for `perturb worker`: seed 1 always fails, the others write a result.
    const worker = new Worker<RunJobData>(
      QUEUE_NAME,
      async (job) => {
        const { run } = job.data;
        tries.set(run.seed, (tries.get(run.seed) ?? 0) + 1);
        if (run.seed === 1) throw new Error('exited with code 1: perturb: boom');
        mkdirSync(run.dir, { recursive: true });
        writeFileSync(
          join(run.dir, 'result.json'),
          JSON.stringify({ config: run.settings, testAccuracy: 0.5, seconds: 1 }),
        );
      },
      { connection },
    );
    let reported: RunFailure[] = [];
    try {
      const failure = await runCompare(config, {
        bin: 'unused: the workers train',
        executor: queueExecutor(redis.url, { attempts: 2 }),
        onDone: (_runs, failures) => {
          reported = failures;
          writeCompareReport(config.out, { failed: failures });
        },
      }).then(
        () => '',
        (error: Error) => error.message,
      );
      expect(failure).toBe(
        '1 run(s) failed: baseline n0 s1: exited with code 1: perturb: boom (after 2 attempt(s)). fix the cause and run the same command again to finish the grid',
      );
      expect(reported.map(({ run }) => run.seed)).toEqual([1]);
      expect(Object.fromEntries(tries)).toEqual({ 0: 1, 1: 2, 2: 1 });
      const report = readFileSync(join(config.out, 'report.md'), 'utf8');
      expect(report).toContain(
        '1 run(s) failed and are not in the tables: baseline n0 s1 (exited with code 1',
      );
      expect(report).toMatch(/\| baseline \| 0 \| 2 \| 50\.00 \| 0\.00 \|/);
    } finally {
      await worker.close();
      connection.disconnect();
      await withQueue(redis.url, (queue) => queue.obliterate({ force: true }));
    }
  });

  it('trains queued runs in children, the shared models first and once, each child on a device of its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-queue-'));
    const bin = fakeBin(dir);
    const path = join(dir, 'grid.yaml');
    writeFileSync(
      path,
      stringify({
        methods: { vae: { augmenters: [{ onManifoldAdversarial: { models: 'shared' } }] } },
        seeds: [0, 1, 2, 3],
        vaegan: { dataset: 'fashion-mnist-small', epochs: 1 },
        out: join(dir, 'out'),
      }),
    );
    const config = readCompareConfig(path);
    // Two workers in this process, as on two machines: both need the VAE-GANs first.
    const workers = await Promise.all([
      startWorker({ queue: redis.url, bin, concurrency: 1, devices: ['0'] }),
      startWorker({ queue: redis.url, bin, concurrency: 1, devices: ['1'] }),
    ]);
    try {
      const runs = await runCompare(config, { bin, executor: queueExecutor(redis.url) });
      const calls = readFileSync(join(dir, 'calls.log'), 'utf8').trim().split('\n');
      expect(calls.filter((call) => call.startsWith('train-vaegan'))).toEqual([
        `train-vaegan ${join(dir, 'out', 'vaegan')}`,
      ]);
      expect(calls.filter((call) => call.startsWith('train ')).sort()).toEqual(
        runs.map((run) => `train ${run.dir}`).sort(),
      );
      const devices = readFileSync(join(dir, 'devices.log'), 'utf8').trim().split('\n');
      for (const run of runs) expect(devices).toContainEqual(expect.stringMatching(`^${run.dir} [01]$`));
      // Queued again, the finished grid adds nothing.
      await withQueue(redis.url, async (queue) => {
        expect(await enqueueRuns(queue, planGrid(config, {}))).toBe(0);
        await queue.obliterate({ force: true });
      });
    } finally {
      await Promise.all(workers.map((worker) => worker.close()));
    }
  });
});
