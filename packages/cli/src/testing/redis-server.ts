/**
 * A throwaway Redis for the queue's tests: Debian's `redis-server` on a free loopback port,
 * nothing saved to disk, stopped after the tests. CI installs it (.ci/run); where it is missing
 * the tests that need it are skipped, saying why.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

/** Why the queue's tests cannot run here, or null when `redis-server` is installed. */
export const REDIS_MISSING: string | null = (() => {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'redis-server is not installed (apt-get install redis-server; .ci/run installs it)';
  }
})();

/** A running test Redis. */
export interface TestRedis {
  url: string;
  /** Stops the server. */
  stop(): Promise<void>;
}

/** A port no one listens on now, on the loopback interface. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts `redis-server` on a free loopback port; resolves once it answers. */
export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  const server: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  for (let tries = 0; ; tries++) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      break;
    } catch (error) {
      if (tries > 200)
        throw new Error(`redis-server on port ${port} did not start: ${(error as Error).message}`);
      await new Promise((wake) => setTimeout(wake, 50));
    } finally {
      client.disconnect();
    }
  }
  return {
    url,
    stop: async () => {
      server.kill('SIGKILL');
      await exited;
    },
  };
}
