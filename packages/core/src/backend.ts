/**
 * Backend selection. perturb runs on whichever TensorFlow.js backend is best where it runs. In
 * Node: tfjs-node-gpu (CUDA) → tfjs-node (native CPU) → wasm (with perturb's training kernels)
 * → cpu; the native packages are optional, loaded only if installed. In a browser: webgl (when
 * the app imports `@tensorflow/tfjs-backend-webgl`) → wasm → cpu.
 *
 * This file runs anywhere: what only Node can do (the threaded wasm start, the core count) is
 * handed in by the Node entry through {@link registerNodeWasmThreads}, so a browser bundle never
 * contains it.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradients, and its own `dist/register_all_gradients` is ESM with
// extensionless imports that Node cannot load; tfjs-layers' Node bundle registers all of them.
import '@tensorflow/tfjs-layers';
import { PerturbError } from './errors';
import { registerTrainingKernels } from './kernels/register';

/** perturb's names for the backends it can run on. */
export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'webgl' | 'wasm' | 'cpu';

interface Candidate {
  /** The npm package that provides the backend. */
  packageName: string;
  /** The name the package registers with tfjs. */
  tfName: string;
}

const CANDIDATES: Record<BackendName, Candidate> = {
  'tensorflow-gpu': { packageName: '@tensorflow/tfjs-node-gpu', tfName: 'tensorflow' },
  tensorflow: { packageName: '@tensorflow/tfjs-node', tfName: 'tensorflow' },
  webgl: { packageName: '@tensorflow/tfjs-backend-webgl', tfName: 'webgl' },
  wasm: { packageName: '@tensorflow/tfjs-backend-wasm', tfName: 'wasm' },
  cpu: { packageName: '@tensorflow/tfjs-backend-cpu', tfName: 'cpu' },
};

/** The default preference order in Node: fastest first. */
export const BACKEND_ORDER: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

/** The default preference order in a browser (or any other JS runtime): fastest first. */
export const BROWSER_BACKEND_ORDER: readonly BackendName[] = ['webgl', 'wasm', 'cpu'];

/**
 * The backends @perturb/core depends on, imported by name so that bundlers include them; the
 * others (native, webgl) are the app's choice to install or import.
 */
const BUNDLED: Record<string, () => Promise<unknown>> = {
  '@tensorflow/tfjs-backend-wasm': () => import('@tensorflow/tfjs-backend-wasm'),
  '@tensorflow/tfjs-backend-cpu': () => import('@tensorflow/tfjs-backend-cpu'),
};

/** XNNPACK's thread pool has this many workers at most (tfjs pre-creates 8). */
export const MAX_WASM_THREADS = 8;

/**
 * What Node adds to the wasm start: tfjs leaves the threaded wasm build off under Node, and the
 * core count comes from `node:os`. Registered by `@perturb/core`'s Node entry; kept on
 * `globalThis` so the ESM and CommonJS builds (and the `/node` entry) share it.
 */
export interface NodeWasmThreads {
  /** Threads to use when none are asked for. */
  defaultThreads(): number;
  /** Whether the threaded start works with this tfjs-backend-wasm version. */
  supports(wasmVersion: string | undefined): boolean;
  /** Runs `start` (which starts the wasm backend) with the patches the threaded build needs. */
  start<T>(threads: number, start: () => Promise<T>): Promise<T>;
}

const NODE_WASM_THREADS = Symbol.for('@perturb/core.nodeWasmThreads');

/** Called once by the Node entry. */
export function registerNodeWasmThreads(threads: NodeWasmThreads): void {
  (globalThis as Record<symbol, unknown>)[NODE_WASM_THREADS] = threads;
}

function nodeWasmThreads(): NodeWasmThreads | undefined {
  return (globalThis as Record<symbol, NodeWasmThreads | undefined>)[NODE_WASM_THREADS];
}

/** Whether this is Node (not a browser, nor a bundler's `process` polyfill). */
function inNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

/** How {@link initBackend} chooses the backend. */
export interface InitBackendOptions {
  /**
   * Use exactly this backend and fail if it cannot start. Default: the `PERTURB_BACKEND`
   * environment variable, else the first of `order` that starts.
   */
  backend?: BackendName;
  /**
   * Preference order for automatic selection. Default `BACKEND_ORDER` in Node,
   * `BROWSER_BACKEND_ORDER` elsewhere.
   */
  order?: readonly BackendName[];
  /** Print the chosen backend (on stderr in Node, on the console elsewhere). Default true. */
  log?: boolean;
  /**
   * Loads a backend package; replaceable in tests. Default: core's own wasm and cpu backends,
   * and in Node a dynamic `import()` of the others (in a browser the app imports webgl itself).
   */
  load?: (packageName: string) => Promise<unknown>;
  /**
   * Threads for the wasm backend's matrix products and convolutions (XNNPACK), 1 to 8; read
   * only when the wasm backend first starts in Node (in a browser perturb starts no threads).
   * Default: the `PERTURB_WASM_THREADS` environment variable, else one per core (at most 8).
   * Threads split the outputs of a product, not its sums, so results match the one-thread ones.
   */
  threads?: number;
  /**
   * Environment to read `PERTURB_BACKEND` and `PERTURB_WASM_THREADS` from. Default `process.env`
   * where there is one, else none.
   */
  env?: Record<string, string | undefined>;
}

/** The backend {@link initBackend} started, and why earlier candidates were skipped. */
export interface BackendInfo {
  /** The backend that runs. */
  name: BackendName;
  /** The package that provides it. */
  packageName: string;
  /** Backends tried before it and why each was skipped. */
  skipped: Array<{ name: BackendName; reason: string }>;
  /** Threads its kernels run on (more than 1 only for wasm with `threads`). */
  threads: number;
  /**
   * Why wasm's threaded build failed to start, when it fell back to one thread (set
   * `PERTURB_WASM_THREADS=1` to skip the attempt). Absent otherwise.
   */
  threadFailure?: string;
  /** Kernels perturb registered on it so conv nets can train (wasm only). */
  registeredKernels: string[];
}

let active: BackendInfo | null = null;

/** The backend chosen by the last `initBackend`, or null before it ran. */
export function activeBackend(): BackendInfo | null {
  return active;
}

function isBackendName(value: string): value is BackendName {
  return value in CANDIDATES;
}

function isNotInstalled(error: unknown, packageName: string): boolean {
  const e = error as { code?: string; message?: string };
  return (
    (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') &&
    String(e.message ?? '').includes(packageName)
  );
}

/**
 * Chooses, starts and returns the backend, registering perturb's training kernels where the
 * backend lacks them. Safe to call more than once: later calls return the first choice unless
 * a different backend is asked for.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const env = options.env ?? (typeof process !== 'undefined' && process.env ? process.env : {});
  const forcedByEnv = env.PERTURB_BACKEND?.trim();
  if (forcedByEnv && !isBackendName(forcedByEnv)) {
    throw new PerturbError(
      `PERTURB_BACKEND="${forcedByEnv}" is not a backend perturb knows`,
      `set it to one of ${Object.keys(CANDIDATES).join(', ')}, or unset it to choose automatically`,
    );
  }
  const forced = options.backend ?? (forcedByEnv as BackendName | undefined);
  if (active && (!forced || forced === active.name)) return active;

  const load = options.load ?? loadBackendPackage;
  const threads = wasmThreads(options.threads, env.PERTURB_WASM_THREADS);
  const order = forced ? [forced] : (options.order ?? (inNode() ? BACKEND_ORDER : BROWSER_BACKEND_ORDER));
  const skipped: BackendInfo['skipped'] = [];
  for (const name of order) {
    const candidate = CANDIDATES[name];
    const started = await tryStart(name, candidate, load, threads);
    if (typeof started !== 'string') {
      quietCpuGreeting();
      const registeredKernels = registerTrainingKernels(candidate.tfName);
      active = {
        name,
        packageName: candidate.packageName,
        ...started,
        skipped,
        registeredKernels,
      };
      if (options.log ?? true) {
        const notes = skipped.map((s) => `skipped ${s.name}: ${s.reason}`);
        if (started.threadFailure)
          notes.push(`1 thread: the threaded build failed: ${started.threadFailure}`);
        say(`perturb: using the ${name} backend${notes.length ? ` (${notes.join('; ')})` : ''}`);
      }
      return active;
    }
    const reason = started;
    if (forced) {
      throw new PerturbError(
        `the ${name} backend was asked for${forcedByEnv && !options.backend ? ' by PERTURB_BACKEND' : ''} but ${reason}`,
        reason.startsWith('not installed')
          ? `run \`npm install ${candidate.packageName}\`, or choose another backend`
          : 'choose another backend, or unset PERTURB_BACKEND to choose automatically',
      );
    }
    skipped.push({ name, reason });
  }
  throw new PerturbError(
    `no TensorFlow.js backend could start (${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})`,
    'reinstall @perturb/core so its wasm and cpu backends are present',
  );
}

/**
 * Core's own backends by their import; in Node any other by name. A browser has only what the
 * page bundled: another backend (webgl) counts when the app imported it (it registered itself).
 */
async function loadBackendPackage(packageName: string): Promise<unknown> {
  const bundled = BUNDLED[packageName];
  if (bundled) return bundled();
  if (inNode()) return import(/* @vite-ignore */ packageName);
  const registered = Object.values(CANDIDATES).some(
    (c) => c.packageName === packageName && tf.findBackendFactory(c.tfName),
  );
  if (registered) return {};
  throw Object.assign(new Error(`${packageName} is not part of this page`), { code: 'MODULE_NOT_FOUND' });
}

/** One line to the user: on stderr in Node, on the console elsewhere. */
function say(line: string): void {
  if (inNode()) process.stderr.write(`${line}\n`);
  else console.info(line);
}

/**
 * tfjs-backend-cpu prints "Hi, looks like you are running TensorFlow.js in Node.js…" (advice to
 * install tfjs-node) on its first tensor, through tfjs's logger, which `PROD` silences. That
 * first write is done here with `PROD` set only for its duration, so the greeting never prints
 * and every later tfjs warning does. The cpu backend is quieted whichever backend runs, since
 * code (tests comparing backends among them) may switch to it later.
 */
function quietCpuGreeting(): void {
  if (!tf.findBackendFactory(CANDIDATES.cpu.tfName)) return;
  const cpu = tf.findBackend(CANDIDATES.cpu.tfName);
  if (!cpu) return;
  const prod = tf.env().getBool('PROD');
  tf.env().set('PROD', true);
  try {
    cpu.disposeData(cpu.write(new Float32Array(1), [1], 'float32'));
  } finally {
    tf.env().set('PROD', prod);
  }
}

/** The wasm thread count asked for by the option or the environment, checked. */
function wasmThreads(option: number | undefined, fromEnv: string | undefined): number {
  const given =
    option ??
    (fromEnv?.trim()
      ? Number(fromEnv)
      : Math.min(nodeWasmThreads()?.defaultThreads() ?? 1, MAX_WASM_THREADS));
  if (!Number.isInteger(given) || given < 1 || given > MAX_WASM_THREADS) {
    const source = option === undefined ? `PERTURB_WASM_THREADS="${fromEnv}"` : `threads: ${option}`;
    throw new PerturbError(
      `${source} is not a thread count perturb can use`,
      `give a whole number from 1 to ${MAX_WASM_THREADS} (at most the machine's cores)`,
    );
  }
  return given;
}

/**
 * Loads and activates one backend; returns the threads its kernels run on, or why it could not
 * start. In Node wasm runs on `threads` where the thread shim supports the installed version and
 * the threaded build starts, else on 1.
 */
async function tryStart(
  name: BackendName,
  candidate: Candidate,
  load: (packageName: string) => Promise<unknown>,
  threads: number,
): Promise<string | { threads: number; threadFailure?: string }> {
  let threaded = false;
  const nodeThreads = nodeWasmThreads();
  try {
    const loaded = (await load(candidate.packageName)) as {
      setThreadsCount?: (n: number) => void;
      version_wasm?: string;
    };
    if (name === 'wasm' && nodeThreads) {
      threaded =
        threads > 1 &&
        typeof loaded.setThreadsCount === 'function' &&
        nodeThreads.supports(loaded.version_wasm);
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', threaded);
      if (threaded) loaded.setThreadsCount!(threads);
    }
  } catch (error) {
    if (isNotInstalled(error, candidate.packageName)) {
      return inNode()
        ? 'not installed'
        : `not imported (add \`import '${candidate.packageName}'\` to the app)`;
    }
    return `failed to load (${firstLine(error)})`;
  }
  if (!tf.findBackendFactory(candidate.tfName)) {
    return `${candidate.packageName} registered no "${candidate.tfName}" backend with perturb's @tensorflow/tfjs-core@${tf.version_core}; install a matching version`;
  }
  const start = async () => (await tf.setBackend(candidate.tfName)) && (await tf.ready(), true);
  let threadFailure: string | undefined;
  if (threaded && nodeThreads) {
    const failure = await startThreaded(nodeThreads, threads, start);
    if (failure === null) return { threads };
    // The single-threaded build needs neither workers nor shared memory: try it before giving up.
    threadFailure = failure;
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  }
  const failure = await startOnce(start);
  if (failure) return failure;
  return threadFailure === undefined ? { threads: 1 } : { threads: 1, threadFailure };
}

/** Runs a backend's start; undefined on success, else why it failed. */
async function startOnce(start: () => Promise<boolean>): Promise<string | undefined> {
  try {
    return (await start()) ? undefined : 'failed to initialize';
  } catch (error) {
    return `failed to initialize (${firstLine(error)})`;
  }
}

/** Starts the threaded wasm build; null on success, else why it failed. */
async function startThreaded(
  nodeThreads: NodeWasmThreads,
  threads: number,
  start: () => Promise<boolean>,
): Promise<string | null> {
  try {
    return (await nodeThreads.start(threads, start)) ? null : 'tfjs reported a failed initialization';
  } catch (error) {
    return firstLine(error);
  }
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0]!;
}
