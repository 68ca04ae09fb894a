/**
 * `perturb worker --queue redis://…`: takes the runs `perturb compare --queue` put on the queue
 * and trains each as the local pool does — a `perturb train` child process (behind the watchdog
 * of child-process.ts) with its share of the cores or one GPU, resuming from the run folder's
 * checkpoint — after the shared models it needs. Training happens in children, so this
 * process's event loop stays free to renew its jobs' locks. A worker that dies (kill -9, power
 * loss) takes its children with it and stops renewing: once its locks expire another worker's
 * stalled-job check puts the runs back on the queue, and whoever takes them resumes them (the
 * run folder's lock of a dead process on the same host is taken over). A failed run is retried
 * as its job says (`compare --attempts`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { type Job, Worker } from 'bullmq';
import { ChildWatchdog, threadsPerChild } from './child-process';
import { describeRun, runLog, trainRun, trainSharedModels } from './compare';
import { DevicePool } from './devices';
import { QUEUE_NAME, type RunJobData, type RunProgress, connectRedis, readRunProgress } from './queue';

/** How `perturb worker` takes and trains runs. */
export interface WorkerOptions {
  /** The Redis URL (see `parseQueueUrl`). */
  queue: string;
  /** The `perturb` executable's script, run with this Node. */
  bin: string;
  /** Runs at once. Default: one per device with `devices`, else one per core. */
  concurrency?: number;
  /** GPUs, one per child, the least-used first (see `parseDevices`). Default: the environment's. */
  devices?: readonly string[];
  /**
   * How long a job stays this worker's without a renewal (renewed every half of it); a worker
   * gone this long has its runs handed to others. Default {@link DEFAULT_LOCK_DURATION_MS}.
   */
  lockDurationMs?: number;
  /** How often this worker looks for runs whose worker is gone. Default {@link DEFAULT_STALLED_INTERVAL_MS}. */
  stalledIntervalMs?: number;
}

/** BullMQ's defaults: a dead worker's runs go back to the queue within about a minute. */
export const DEFAULT_LOCK_DURATION_MS = 30_000;
export const DEFAULT_STALLED_INTERVAL_MS = 30_000;

/**
 * A run is put back on the queue this many times when its worker dies; the next time it fails
 * (a run that kills its worker must end).
 */
const MAX_STALLS = 3;

/** How often a running job's progress is read from its run folder. */
const PROGRESS_MS = 1000;

/** A started worker: it takes runs until closed or until this process ends. */
export interface RunningWorker {
  /** Stops taking runs, waits for those it trains, and lets go of Redis. */
  close(): Promise<void>;
}

/** Starts taking runs. */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const connection = await connectRedis(options.queue, 'worker');
  const concurrency = Math.max(1, options.concurrency ?? options.devices?.length ?? availableParallelism());
  const threads = threadsPerChild(concurrency);
  const devices = options.devices && new DevicePool(options.devices);
  const children = new ChildWatchdog();
  const worker = new Worker<RunJobData>(
    QUEUE_NAME,
    async (job) => {
      const device = devices?.acquire();
      try {
        return await processRun(job, { bin: options.bin, children, threads, device });
      } finally {
        if (device !== undefined) devices?.release(device);
      }
    },
    {
      connection,
      concurrency,
      lockDuration: options.lockDurationMs ?? DEFAULT_LOCK_DURATION_MS,
      stalledInterval: options.stalledIntervalMs ?? DEFAULT_STALLED_INTERVAL_MS,
      maxStalledCount: MAX_STALLS,
    },
  );
  worker.on('error', (error) => process.stderr.write(`worker: ${error.message}\n`));
  worker.on('failed', (job, error) => {
    if (job) process.stderr.write(`worker: ${describeRun(job.data.run)} failed: ${error.message}\n`);
  });
  await worker.waitUntilReady();
  process.stderr.write(
    `worker: taking runs from ${options.queue} (queue ${QUEUE_NAME}), ${concurrency} at once, ${process.env.PERTURB_WASM_THREADS ?? threads} wasm thread(s) each\n`,
  );
  return {
    close: async () => {
      await worker.close();
      connection.disconnect();
      children.close();
    },
  };
}

/**
 * Trains one job's run (after the shared models it needs) unless it has finished, reporting
 * its progress to the job; rejects with the child's last words when it fails.
 */
async function processRun(
  job: Job<RunJobData>,
  context: { bin: string; children: ChildWatchdog; threads: number; device?: string },
): Promise<string> {
  const { run, shared, grid } = job.data;
  // A run another worker finished (its worker was thought dead but was not) is not trained twice.
  if (existsSync(join(run.dir, 'result.json'))) return 'finished before';
  const started = Date.now();
  process.stderr.write(
    `worker: ${describeRun(run)} started (attempt ${job.attemptsMade + 1}) in ${run.dir}\n`,
  );
  let reported: string | undefined;
  const report = async () => {
    const progress: RunProgress | null = readRunProgress(job.data);
    if (progress && progress.done !== reported) {
      reported = progress.done;
      await job.updateProgress(progress);
    }
  };
  const timer = setInterval(() => void report().catch(() => undefined), PROGRESS_MS);
  try {
    await trainSharedModels(shared, grid, context.bin, context.children, { device: context.device });
    await trainRun(run, context);
  } catch (error) {
    throw new Error(`${(error as Error).message}${lastWords(runLog(run))} (see ${runLog(run)})`);
  } finally {
    clearInterval(timer);
  }
  await report();
  process.stderr.write(
    `worker: ${describeRun(run)} finished in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  return 'trained';
}

/** The last line a failed child wrote (its one-line error), as `: <line>`, or nothing. */
function lastWords(logPath: string): string {
  if (!existsSync(logPath)) return '';
  const last = readFileSync(logPath, 'utf8').trim().split('\n').pop();
  return last ? `: ${last}` : '';
}
