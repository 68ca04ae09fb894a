/** Running the built `perturb` bin in tests, as a user's shell would. */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The built `perturb` script (the cli's test target builds it first). */
export const PERTURB_BIN = join(packageDir, 'dist', 'bin.js');

/** `@perturb/core`'s built ESM entry, by URL: plugin fixtures in temp folders import it. */
export const CORE_DIST = pathToFileURL(join(packageDir, '..', 'core', 'dist', 'index.js')).href;

/** `@perturb/core`'s built CommonJS entry, by path: CommonJS plugin fixtures require it. */
export const CORE_CJS = join(packageDir, '..', 'core', 'dist', 'index.cjs');

/** What a finished `perturb` process left. */
export interface PerturbResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `perturb <args>`; `exited` settles when it ends (killed after `timeoutMs`). */
export function startPerturb(
  args: string[],
  { cwd, timeoutMs = 90_000 }: { cwd?: string; timeoutMs?: number } = {},
): { child: ChildProcess; exited: Promise<PerturbResult> } {
  // One wasm thread: five engineers' tests share two cores. Wasm whatever the developer's shell
  // sets or has installed, so the bit-exact checks compare numbers from one backend.
  const env = { ...process.env, PERTURB_BACKEND: 'wasm', PERTURB_WASM_THREADS: '1' };
  const child = spawn(process.execPath, [PERTURB_BIN, ...args], { cwd, env });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exited = new Promise<PerturbResult>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    }),
  );
  return { child, exited };
}

/** Runs `perturb <args>` to its end. */
export function runPerturb(args: string[], options: { cwd?: string; timeoutMs?: number } = {}) {
  return startPerturb(args, options).exited;
}

/** Resolves once `check()` holds, polling every 50 ms; rejects after `timeoutMs`. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
