/**
 * `perturb compare --queue redis://host:port`: the grid's runs as jobs of a BullMQ queue on
 * Redis, trained by `perturb worker`s on any number of machines (worker.ts) over storage they
 * all see. A job's id is its run's folder, so enqueueing a grid twice adds nothing, and the
 * queue is one for every grid on that Redis (`perturb`), so a worker needs to be told only where
 * Redis is. Compare waits for the jobs by polling their states (a restarted compare, or one that
 * started after a job ended, sees what a stream of events would have missed), re-adds a job
 * Redis lost (a restart without persistence), and hands the failures — runs whose retries are
 * spent — to the report.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Job, type JobsOptions, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { PerturbError, ProgressBar } from '@perturb/core';
import {
  type GridExecutor,
  type GridPlan,
  type GridRun,
  type RunFailure,
  type SharedTraining,
  describeRun,
  sharedTrainings,
} from './compare';
import { resolveConfig } from './config';

/** The queue every grid's runs go to. */
export const QUEUE_NAME = 'perturb';

/** What a run's job carries: everything a worker needs, so it reads no config of its own. */
export interface RunJobData {
  /** The grid's folder, absolute: where shared models are trained. */
  grid: string;
  run: GridRun;
  /** The shared models the run needs, trained first if no one has. */
  shared: SharedTraining[];
  /** The run's length, for its progress: epochs, or a step budget. */
  epochs?: number;
  steps?: number;
}

/** A run's progress as its job reports it. */
export interface RunProgress {
  /** 0–100. */
  percent: number;
  /** The epochs or steps done, e.g. `epoch 2/5` (`step 30/240` for a step budget). */
  done: string;
}

/** Retries and the like: how the jobs of `compare --queue` are made. */
export interface EnqueueOptions {
  /** Attempts per run before it fails for good (the first included). Default {@link DEFAULT_ATTEMPTS}. */
  attempts?: number;
}

/** A run is tried three times: twice more after a failure, then reported failed with its error. */
export const DEFAULT_ATTEMPTS = 3;

/** The first retry waits this long, each next one twice as long. */
const RETRY_DELAY_MS = 1000;

/** Finished jobs stay a week (their `result.json` is the lasting record), failed ones until retried. */
const KEEP_FINISHED_SECONDS = 7 * 24 * 3600;

/** How often a waiting compare looks at its runs' jobs. */
const POLL_MS = 1000;

/** Validates a `--queue` value: a `redis://` or `rediss://` URL with a host. */
export function parseQueueUrl(text: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    // Reported below.
  }
  if (!url || !['redis:', 'rediss:'].includes(url.protocol) || url.hostname === '') {
    throw new PerturbError(
      `--queue "${text}" is not a Redis URL`,
      'give redis://host:port (e.g. redis://127.0.0.1:6379; rediss:// for TLS)',
    );
  }
  return text;
}

/**
 * A connection to the Redis at `url`, checked once: an unreachable Redis is one line naming the
 * URL, not a client retrying forever. Afterwards the connection waits out outages (a Redis
 * restart), saying so once per outage on stderr, prefixed by `who`.
 */
export async function connectRedis(url: string, who: string): Promise<Redis> {
  const probe = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 5000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // The socket's error (ECONNREFUSED, ENOTFOUND) says more than the failed connect's.
  let reason: string | undefined;
  probe.on('error', (error: Error) => (reason = error.message));
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    throw new PerturbError(
      `cannot reach Redis at ${url} (${reason ?? (error as Error).message})`,
      'start redis-server there (e.g. redis-server --port 6379) or fix --queue',
    );
  } finally {
    probe.disconnect();
  }
  // BullMQ's workers need commands to wait for a reconnect rather than fail (null).
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  let lost = false;
  connection.on('error', (error: Error) => {
    if (lost) return;
    lost = true;
    process.stderr.write(`${who}: lost Redis at ${url} (${error.message}); reconnecting\n`);
  });
  connection.on('ready', () => {
    if (lost) process.stderr.write(`${who}: reconnected to Redis at ${url}\n`);
    lost = false;
  });
  return connection;
}

/** Opens the queue at `url` for `work`, closing it (and its connection) after. */
export async function withQueue<T>(url: string, work: (queue: Queue<RunJobData>) => Promise<T>): Promise<T> {
  const connection = await connectRedis(url, 'compare');
  const queue = new Queue<RunJobData>(QUEUE_NAME, { connection });
  try {
    return await work(queue);
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

/** The job of `run` (`plan`'s grid), as the queue holds it. */
function jobData(plan: GridPlan, run: GridRun): RunJobData {
  const { epochs, steps } = resolveConfig([run.settings]);
  return {
    grid: plan.out,
    run,
    shared: sharedTrainings(plan.config, [run.method]),
    ...(epochs === undefined ? {} : { epochs }),
    ...(steps === undefined ? {} : { steps }),
  };
}

/**
 * Puts the plan's pending runs on the queue, each once: a run whose job is waiting, running or
 * retrying keeps it; a failed one is retried from its first attempt (as a local compare run
 * again retries failed runs); a finished job whose run has no `result.json` (its folder was
 * deleted to train it again) is replaced. Returns how many jobs were added or retried.
 */
export async function enqueueRuns(
  queue: Queue<RunJobData>,
  plan: GridPlan,
  { attempts = DEFAULT_ATTEMPTS }: EnqueueOptions = {},
): Promise<number> {
  const options: JobsOptions = {
    attempts,
    backoff: { type: 'exponential', delay: RETRY_DELAY_MS },
    removeOnComplete: { age: KEEP_FINISHED_SECONDS },
    removeOnFail: false,
  };
  let queued = 0;
  for (const run of plan.pending) {
    checkJobId(run);
    const job = await queue.getJob(run.dir);
    const state = job ? await job.getState() : 'unknown';
    if (state === 'failed') {
      await job!.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    } else if (state === 'completed' || state === 'unknown') {
      if (job) await job.remove();
      // Adding an id that another compare added meanwhile adds nothing.
      await queue.add(describeRun(run), jobData(plan, run), { ...options, jobId: run.dir });
    } else {
      continue;
    }
    queued++;
  }
  return queued;
}

/** BullMQ keys jobs by `<queue>:<id>`, so an id (the run's folder) cannot hold a colon. */
function checkJobId(run: GridRun): void {
  if (run.dir.includes(':')) {
    throw new PerturbError(
      `the run folder ${run.dir} has a ":", which a queued job's id cannot hold`,
      'choose an out folder whose path has no ":"',
    );
  }
}

/**
 * The queue as compare's executor: enqueues the plan's runs, then waits until each has finished
 * or failed for good (its attempts spent); shared models are trained by the first worker whose
 * run needs them.
 */
export function queueExecutor(url: string, options: EnqueueOptions = {}): GridExecutor {
  return {
    failuresAreFinal: true,
    execute: (plan) =>
      withQueue(url, async (queue) => {
        await enqueueRuns(queue, plan, options);
        return waitForRuns(queue, plan);
      }),
  };
}

/** Polls the plan's jobs until every pending run has finished or failed; returns the failures. */
async function waitForRuns(queue: Queue<RunJobData>, plan: GridPlan): Promise<RunFailure[]> {
  const { runs, pending } = plan;
  const bar = new ProgressBar({ total: runs.length, label: 'compare', start: runs.length - pending.length });
  const ended = new Map<string, RunFailure | null>();
  for (;;) {
    let running = 0;
    for (const run of pending.filter((r) => !ended.has(r.dir))) {
      const job = await queue.getJob(run.dir);
      const state = job ? await job.getState() : 'unknown';
      // The run's result is the record: a job lost or failed meanwhile (Redis restarted empty
      // while a worker trained it, and the job added again was refused by the run's lock) counts
      // as finished when its result.json is there.
      const finished = state === 'completed' || existsSync(join(run.dir, 'result.json'));
      if (finished) ended.set(run.dir, null);
      else if (state === 'failed')
        ended.set(run.dir, { run, error: failureOf(await finalJob(queue, run, job!)) });
      else if (state === 'active') running++;
      // Redis lost the job (restarted without persistence), or it was removed: add it again.
      else if (state === 'unknown') await enqueueRuns(queue, { ...plan, pending: [run] });
    }
    bar.update(runs.length - pending.length + ended.size, { running });
    if (ended.size === pending.length) break;
    await new Promise((wake) => setTimeout(wake, POLL_MS));
  }
  bar.done();
  return pending.flatMap((run) => ended.get(run.dir) ?? []);
}

/**
 * The job as it failed for good. `job` was read before its state, and a retry may have run and
 * failed in between: its attempt count and reason are then stale. A failed job no longer changes,
 * so reading it again gives the final ones.
 */
async function finalJob(
  queue: Queue<RunJobData>,
  run: GridRun,
  job: Job<RunJobData>,
): Promise<Job<RunJobData>> {
  return (await queue.getJob(run.dir)) ?? job;
}

/** Why a job failed for good, with its attempts. */
function failureOf(job: Job<RunJobData>): string {
  return `${job.failedReason} (after ${job.attemptsMade} attempt(s))`;
}

/**
 * Each of `runs`' state on the queue, a line a run, then a line of counts: finished (its
 * `result.json` exists, or its job completed), active with its progress, waiting, retrying after
 * a failure, failed with its error, or not queued.
 */
export async function queueStatus(queue: Queue<RunJobData>, runs: readonly GridRun[]): Promise<string> {
  const width = Math.max(...runs.map((run) => describeRun(run).length));
  const counts = new Map<string, number>();
  const lines: string[] = [];
  for (const run of runs) {
    const [kind, detail] = await runState(queue, run);
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
    lines.push(`${describeRun(run).padEnd(width)}  ${kind}${detail ? ` ${detail}` : ''}`);
  }
  const summary = ['finished', 'active', 'waiting', 'retrying', 'failed', 'not queued']
    .filter((kind) => counts.has(kind))
    .map((kind) => `${counts.get(kind)} ${kind}`);
  return `${lines.join('\n')}\n${runs.length} run(s): ${summary.join(', ')}\n`;
}

/** A run's state for {@link queueStatus}: its kind and what to show after it. */
async function runState(queue: Queue<RunJobData>, run: GridRun): Promise<[string, string?]> {
  if (existsSync(join(run.dir, 'result.json'))) return ['finished'];
  const job = await queue.getJob(run.dir);
  const state = job ? await job.getState() : 'unknown';
  if (!job || state === 'unknown') return ['not queued'];
  switch (state) {
    case 'completed':
      return ['finished'];
    case 'failed':
      return ['failed', failureOf(await finalJob(queue, run, job))];
    case 'active': {
      const progress = job.progress as RunProgress | number;
      return typeof progress === 'object'
        ? ['active', `${progress.percent.toFixed(0)}% (${progress.done})`]
        : ['active'];
    }
    case 'delayed':
      return [
        'retrying',
        `(attempt ${job.attemptsMade + 1} of ${job.opts.attempts ?? 1} next; the last failed: ${job.failedReason})`,
      ];
    default:
      return ['waiting'];
  }
}

/**
 * A run's progress from the epochs its `metrics.jsonl` records (the child writes it after every
 * epoch), or null before its first epoch ends.
 */
export function readRunProgress(data: RunJobData): RunProgress | null {
  const path = join(data.run.dir, 'metrics.jsonl');
  if (!existsSync(path)) return null;
  const last = readFileSync(path, 'utf8').trim().split('\n').pop();
  if (!last) return null;
  const { epoch, step } = JSON.parse(last) as { epoch: number; step: number };
  if (data.steps) return { percent: (100 * step) / data.steps, done: `step ${step}/${data.steps}` };
  return data.epochs ? { percent: (100 * epoch) / data.epochs, done: `epoch ${epoch}/${data.epochs}` } : null;
}
