/**
 * What the Redis queue costs and what splitting a machine between workers gains (issue 20):
 *   node experiments/queue-throughput.mjs
 * trains one small grid (6 tiny runs) four ways, each in a fresh folder, and times the waiting
 * `perturb compare` from start to report:
 *   local-1    perturb compare --jobs 1, 1 wasm thread              (the local pool)
 *   queue-1    --queue, one worker of 1 run at a time, 1 thread     (the queue's overhead: − local-1)
 *   queue-1x2  --queue, one worker of 1 run at a time, 2 threads
 *   queue-2x1  --queue, two workers of 1 run each, 1 thread each
 * Each way's figures are kept in docs/results/queue-throughput.json as it ends, and a way already
 * there is not run again (delete the file to measure anew). Starts its own redis-server on a
 * free loopback port. The load average around each way is recorded: other work on the machine
 * stretches wall times.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
      code === 0 || signal === 'SIGTERM' ? resolve(stderr) : reject(new Error(`perturb ${args[0]}: ${stderr}`)),
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
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
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
  const workers = { 'queue-1': [1], 'queue-1x2': [2], 'queue-2x1': [1, 1] }[name] ?? [];
  const started = workers.map((threads) =>
    perturb(['worker', '--queue', redisUrl, '--concurrency', '1'], threads),
  );
  const loadBefore = loadavg()[0];
  const t0 = Date.now();
  const compareArgs = name === 'local-1' ? ['--jobs', '1'] : ['--queue', redisUrl];
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

function readdirRuns(out) {
  return Object.keys(GRID.methods).flatMap((method) =>
    GRID.seeds.map((seed) =>
      JSON.parse(readFileSync(join(out, 'runs', method, `n${GRID.base.trainSize}-s${seed}`, 'result.json'), 'utf8')),
    ),
  );
}

const results = existsSync(resultsPath) ? JSON.parse(readFileSync(resultsPath, 'utf8')) : { grid: GRID, ways: {} };
const redis = await startRedis();
try {
  for (const name of ['local-1', 'queue-1', 'queue-1x2', 'queue-2x1']) {
    if (results.ways[name]) continue;
    process.stderr.write(`queue-throughput: ${name}\n`);
    results.ways[name] = await measure(name, redis.url);
    results.measuredAt = new Date().toISOString();
    atomicWrite(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
  }
} finally {
  redis.server.kill('SIGKILL');
}
const { ways } = results;
process.stdout.write(
  `${Object.values(ways)
    .map((w) => `${w.name}: ${w.wallSeconds.toFixed(1)} s for ${w.runs} runs (load ${w.loadAverage.before.toFixed(1)} → ${w.loadAverage.after.toFixed(1)})`)
    .join('\n')}\nqueue overhead per run: ${((ways['queue-1'].wallSeconds - ways['local-1'].wallSeconds) / RUNS).toFixed(2)} s\n`,
);
