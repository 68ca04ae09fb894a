/**
 * What the Redis queue costs and what splitting a machine between workers gains (issue 20):
 *   node experiments/queue-throughput.mjs
 * trains one small grid (6 tiny runs) four ways, each in a fresh folder, and times the waiting
 * `perturb compare` from start to report:
 *   local-1    perturb compare --jobs 1, 1 wasm thread              (the local pool)
 *   queue-1    --queue, one worker of 1 run at a time, 1 thread     (the queue's overhead: − local-1)
 *   queue-1x2  --queue, one worker of 1 run at a time, 2 threads
 *   queue-2x1  --queue, two workers of 1 run each, 1 thread each
 * The four ways run twice, the second time in reverse order (…-b), so a load that rises or falls
 * steadily while they run weighs on each way alike; the page reports their means. Each
 * measurement is kept in docs/results/queue-throughput.json as it ends, and one already there is
 * not run again (delete the file to measure anew). Starts its own redis-server on a
 * free loopback port. The load average around each way is recorded: other work on the machine
 * stretches wall times.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { atomicWrite, root } from './lib/runs.mjs';

const bin = join(root, 'packages/cli/dist/bin.js');
const work = join(root, 'runs/queue-throughput');
const resultsPath = join(root, 'docs/results/queue-throughput.json');
const GRID = {
  base: { model: 'lenet5', trainSize: 200, testSize: 200, batchSize: 25, epochs: 2 },
  methods: { baseline: {}, flip: { augmenters: ['horizontalFlip'] } },
  seeds: [0, 1, 2],
};
const RUNS = Object.keys(GRID.methods).length * GRID.seeds.length;

/** `perturb <args>` with `threads` wasm threads; resolves when it ends, rejects if it fails. */
function perturb(args, threads) {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, PERTURB_WASM_THREADS: String(threads) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve, reject) =>
    child.on('exit', (code, signal) =>
      code === 0 || signal === 'SIGTERM'
        ? resolve(stderr)
        : reject(new Error(`perturb ${args[0]}: ${stderr}`)),
    ),
  );
  return { child, exited };
}

async function startRedis() {
  const port = await new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = server.address();
      server.close(() => resolve(free));
    });
  });
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  await new Promise((wake) => setTimeout(wake, 500));
  return { url: `redis://127.0.0.1:${port}`, server };
}

/** Trains the grid one way; resolves to its wall time and the runs' own seconds. */
async function measure(name, redisUrl) {
  const out = join(work, name);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const config = join(out, 'grid.yaml');
  writeFileSync(config, stringify({ ...GRID, out }));
  const way = name.replace(/-b$/, '');
  const workers = { 'queue-1': [1], 'queue-1x2': [2], 'queue-2x1': [1, 1] }[way] ?? [];
  const started = workers.map((threads) =>
    perturb(['worker', '--queue', redisUrl, '--concurrency', '1'], threads),
  );
  const loadBefore = loadavg()[0];
  const t0 = Date.now();
  const compareArgs = way === 'local-1' ? ['--jobs', '1'] : ['--queue', redisUrl];
  await perturb(['compare', '--config', config, ...compareArgs], 1).exited;
  const wallSeconds = (Date.now() - t0) / 1000;
  const loadAfter = loadavg()[0];
  for (const worker of started) worker.child.kill('SIGTERM');
  await Promise.all(started.map((worker) => worker.exited));
  const runs = readdirRuns(out);
  return {
    name,
    workers: workers.length,
    threadsPerRun: workers[0] ?? 1,
    runs: runs.length,
    wallSeconds,
    wallSecondsPerRun: wallSeconds / runs.length,
    // Each child's own time from its start to its result (start-up, training, evaluation).
    childSecondsPerRun: runs.reduce((sum, r) => sum + r.seconds, 0) / runs.length,
    trainingCpuSecondsPerRun: runs.reduce((sum, r) => sum + (r.trainingCpuSeconds ?? 0), 0) / runs.length,
    loadAverage: { before: loadBefore, after: loadAfter },
  };
}

/** Every run's result, with when its child was started (its config.yaml is written just before). */
function readdirRuns(out) {
  return Object.keys(GRID.methods).flatMap((method) =>
    GRID.seeds.map((seed) => {
      const dir = join(out, 'runs', method, `n${GRID.base.trainSize}-s${seed}`);
      const result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8'));
      return { ...result, startedMs: statSync(join(dir, 'config.yaml')).mtimeMs };
    }),
  );
}

/**
 * The hand-off between runs when one trains at a time: from one run's result to the next run's
 * start, mean and largest, in seconds. The children's own start-up is the same either way and
 * falls outside it; what the queue adds (the job's completion, fetching the next) falls inside.
 */
function handoffs(name) {
  const runs = readdirRuns(join(work, name)).sort((a, b) => a.startedMs - b.startedMs);
  const gaps = runs.slice(1).map((run, i) => (run.startedMs - Date.parse(runs[i].finishedAt)) / 1000);
  return { mean: gaps.reduce((sum, gap) => sum + gap, 0) / gaps.length, max: Math.max(...gaps) };
}

const results = existsSync(resultsPath)
  ? JSON.parse(readFileSync(resultsPath, 'utf8'))
  : { grid: GRID, ways: {} };
const redis = await startRedis();
try {
  const ways = ['local-1', 'queue-1', 'queue-1x2', 'queue-2x1'];
  for (const name of [...ways, ...ways.map((way) => `${way}-b`).reverse()]) {
    if (results.ways[name]) continue;
    process.stderr.write(`queue-throughput: ${name}\n`);
    results.ways[name] = await measure(name, redis.url);
    results.measuredAt = new Date().toISOString();
    atomicWrite(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
  }
} finally {
  redis.server.kill('SIGKILL');
}
/** The runs' training wall time (their epochs) per run, read back from a way's folder. */
function trainingSeconds(name) {
  const runs = readdirRuns(join(work, name));
  return runs.reduce((sum, run) => sum + run.trainingSeconds, 0) / runs.length;
}

/** A way's two measurements (in both orders), averaged. */
function averaged(way) {
  const [a, b] = [results.ways[way], results.ways[`${way}-b`]];
  const mean = (pick) => (pick(a) + pick(b)) / 2;
  return {
    name: way,
    wallSeconds: mean((w) => w.wallSeconds),
    wallSecondsPerRun: mean((w) => w.wallSecondsPerRun),
    childSecondsPerRun: mean((w) => w.childSecondsPerRun),
    trainingCpuSecondsPerRun: mean((w) => w.trainingCpuSecondsPerRun),
    trainingSecondsPerRun: mean((w) => w.trainingSecondsPerRun ?? trainingSeconds(w.name)),
    each: [a.wallSeconds, b.wallSeconds],
    load: [a.loadAverage.before, a.loadAverage.after, b.loadAverage.before, b.loadAverage.after],
  };
}
const ways = Object.fromEntries(
  ['local-1', 'queue-1', 'queue-1x2', 'queue-2x1'].map((way) => [way, averaged(way)]),
);
/** The hand-offs of both measurements of a way. */
const bothHandoffs = (way) => {
  const [a, b] = [handoffs(way), handoffs(`${way}-b`)];
  return { mean: (a.mean + b.mean) / 2, max: Math.max(a.max, b.max) };
};
const handoff = { local: bothHandoffs('local-1'), queue: bothHandoffs('queue-1') };
// What the queue adds to a hand-off, within each pair of measurements taken back to back.
const added = [
  handoffs('queue-1').mean - handoffs('local-1').mean,
  handoffs('queue-1-b').mean - handoffs('local-1-b').mean,
];
const seconds = (x) => `${x.toFixed(1)} s`;
const loads = Object.values(ways).flatMap((w) => w.load);
const row = (w, what) =>
  `| ${w.name} | ${what} | ${seconds(w.wallSeconds)} (${w.each.map((x) => x.toFixed(0)).join(', ')}) | ${seconds(w.wallSecondsPerRun)} | ${seconds(w.childSecondsPerRun)} | ${seconds(w.trainingSecondsPerRun)} | ${w.trainingCpuSecondsPerRun.toFixed(2)} s | ${Math.min(...w.load).toFixed(0)}–${Math.max(...w.load).toFixed(0)} |`;
const queueMinusLocal = ways['queue-1'].wallSeconds - ways['local-1'].wallSeconds;
const twoThreads = ways['queue-1x2'].wallSeconds;
const twoWorkers = ways['queue-2x1'].wallSeconds;
const markdown = `# The Redis queue: overhead per run, one worker of 2 threads against two of 1

Generated by [experiments/queue-throughput.mjs](../../experiments/queue-throughput.mjs) on
${results.measuredAt.slice(0, 10)} (2 cores, wasm backend). The grid: ${RUNS} runs (baseline and
horizontal flip × seeds 0–2), LeNet-5 on ${GRID.base.trainSize} embedded Fashion-MNIST images,
${GRID.base.epochs} epochs, tested on ${GRID.base.testSize}: runs of a few CPU-seconds, so the
figures are dominated by what each run costs besides training (a Node process, the backend, the
data), which is what the queue could add to.

**The machine was shared**: seven other engineers' builds and tests ran at the same time, and the
1-minute load average was between ${Math.min(...loads).toFixed(0)} and ${Math.max(...loads).toFixed(0)} on 2 cores (column *load*: before and after each measurement). Wall
times are therefore stretched many times over and vary from one way to the next with the
others' work, not with ours; compare them for their order of magnitude only. The CPU time of
training (its epochs), which other load does not stretch, shows the runs did the same work.

| way | what | wall (grid) | wall / run | child's own time / run | training / run | training CPU / run | load (1 min) |
| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |
${row(ways['local-1'], 'local compare, --jobs 1, 1 thread')}
${row(ways['queue-1'], '--queue, one worker, 1 run at a time, 1 thread')}
${row(ways['queue-1x2'], '--queue, one worker, 1 run at a time, 2 threads')}
${row(ways['queue-2x1'], '--queue, two workers, 1 run each, 1 thread each')}

*child's own time*: the \`seconds\` of each run's result.json, from its start (imports done) to
its result; the rest of *wall / run* is starting the process (Node, tfjs, the wasm backend) on
the loaded machine. *training*: the wall time of the run's epochs alone, which nothing but the
machine's load can change between the ways.

**The queue's overhead per run.** Between one run's result and the next run's start, one run at a
time: ${seconds(handoff.local.mean)} on average (largest ${seconds(handoff.local.max)}) with the local pool,
${seconds(handoff.queue.mean)} (largest ${seconds(handoff.queue.max)}) through the queue; within each pair
measured back to back the queue added ${added.map(seconds).join(' and ')} a run. That is the queue's
cost per run: the run's last progress report and its job's completion, which also fetches the
next job (two round trips to Redis), on a loaded machine; the rest of a hand-off is the
finished child's exit and the next one's spawn, the same in both. A queued grid also pays once
for connecting and enqueueing, and up to 1 s at its end (compare looks at its jobs every
second). The whole grid's wall time differed far more — queue-1 − local-1 came to
${seconds(queueMinusLocal)} (${seconds(queueMinusLocal / RUNS)} a run) — but so did the runs' training alone
(${seconds(ways['queue-1'].trainingSecondsPerRun)} against ${seconds(ways['local-1'].trainingSecondsPerRun)} a run), which the queue cannot touch: the
load moved between the measurements (the second local one ran as the load fell), and that
difference is the machine's, not the queue's.

**One worker of 2 threads against two workers of 1.** ${seconds(twoThreads)} against ${seconds(twoWorkers)}
for the grid${Math.max(...ways['queue-2x1'].each) < Math.min(...ways['queue-1x2'].each) ? ' (and in each of the two measurements)' : ''}: ${twoWorkers < twoThreads ? `two workers of one thread were ${(twoThreads / twoWorkers).toFixed(2)}× as fast. Runs this small spend most of their time in single-threaded work (process start-up, data, evaluation) that a second wasm thread cannot share, while two processes overlap all of it` : `one worker of two threads was ${(twoWorkers / twoThreads).toFixed(2)}× as fast`}. For
runs whose time is in convolutions (ResNet-20, Glow) a second thread pays more (see
[bench](bench.md)); what is best on a given machine is measured by this script in minutes.
`;
atomicWrite(join(root, 'docs/results/queue-throughput.md'), markdown);
process.stdout.write(markdown);
