/**
 * Starts tfjs-backend-wasm's multi-threaded build under Node, which tfjs leaves off there
 * (tensorflow/tfjs#3830). Its Emscripten runtime needs three things Node does not give it:
 * - it starts its pthread workers from `blob:` URLs (the worker script and the module factory),
 *   which Node's `Worker` cannot load: we keep the text of every string-only Blob created during
 *   start-up and hand it to `Worker` as code (`eval: true`) instead of the URL;
 * - the factory text refers to the Node bundle's hoisted `require` aliases (`require$$0` ...), so
 *   the worker evaluates the bundle's alias lines before it;
 * - XNNPACK sizes its thread pool to half of `os.cpus()` (it assumes two hardware threads per
 *   core), so the requested count is honoured only if `os.cpus()` reports twice as many.
 * Everything patched is restored once the backend has started; the workers keep running.
 * A worker that fails while the backend starts (its script throws, or it never reports ready)
 * rejects the start instead of crashing the process, so the caller can fall back to one thread.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { Worker as NodeWorker, type WorkerOptions } from 'node:worker_threads';

const WASM_PACKAGE = '@tensorflow/tfjs-backend-wasm';
/**
 * The tfjs-backend-wasm versions whose Node bundle this shim was written against; other versions
 * run single-threaded rather than risk a runtime that starts differently.
 */
export function threadShimSupports(wasmVersion: string | undefined): boolean {
  return /^4\.22\./.test(wasmVersion ?? '');
}

/** What the main-script URL is replaced with in the messages sent to workers. */
const MAIN_SCRIPT = 'perturb:wasm-main-script';

/** Text of a Blob built only from strings, recorded at construction (Node cannot read Blobs synchronously). */
const blobTexts = new WeakMap<Blob, string>();
const urlTexts = new Map<string, string>();

/** How long the pool's workers may take to load before the threaded start counts as failed. */
export const THREAD_START_TIMEOUT_MS = 60_000;

/** The workers created by one start, and what becomes of their errors. */
interface StartWatch {
  workers: NodeWorker[];
  /** starting: an error fails the start; failed: the workers are being terminated, errors are dropped. */
  state: 'starting' | 'started' | 'failed';
  fail: (reason: string) => void;
}

/**
 * Appended to the worker script: loads the main script from text sent in the `load` message
 * rather than from a URL.
 */
const WORKER_EPILOGUE = `;{const load=global.importScripts;let main='';
global.importScripts=f=>f===${JSON.stringify(MAIN_SCRIPT)}?(0,eval)(main):load(f);
const handle=self.onmessage;self.onmessage=e=>{if(e.data&&typeof e.data.perturbMainScript==='string')main=e.data.perturbMainScript;return handle(e)};}`;

/** The `var require$$N = require('...')` lines the Node bundle hoists and its factory uses. */
function bundlePrelude(): string {
  const base = typeof __filename === 'string' ? __filename : import.meta.url;
  const bundle = readFileSync(createRequire(base).resolve(WASM_PACKAGE), 'utf8');
  return (bundle.match(/^var (?:require\$\$\d+|commonjsGlobal) = .*;$/gm) ?? []).join('\n') + '\n';
}

/**
 * The parent's Node flags minus `--input-type` (either spelling): workers inherit the flags, and
 * the worker script is a classic script, not a module.
 */
function classicScriptExecArgv(): string[] {
  const args = process.execArgv;
  return args.filter((arg, i) => !arg.startsWith('--input-type') && args[i - 1] !== '--input-type');
}

/**
 * A Node Worker that also accepts the `blob:` URLs created while the shim is installed. Until the
 * start has succeeded, its errors go to `watch` rather than to the runtime's handler, which
 * rethrows them where nothing can catch them.
 */
function workerClass(prelude: string, watch: StartWatch): typeof NodeWorker {
  return class BlobUrlWorker extends NodeWorker {
    constructor(url: string | URL, options?: WorkerOptions) {
      const code = typeof url === 'string' ? urlTexts.get(url) : undefined;
      if (code === undefined) super(url, options);
      else super(code + WORKER_EPILOGUE, { ...options, eval: true, execArgv: classicScriptExecArgv() });
      this.unref();
      watch.workers.push(this);
    }

    override emit(event: string | symbol, ...args: unknown[]): boolean {
      if (event !== 'error' || watch.state === 'started') return super.emit(event, ...args);
      if (watch.state === 'starting')
        watch.fail(`a worker thread failed to start: ${(args[0] as Error)?.message}`);
      return true;
    }

    /** Idle pool threads must not keep the process alive (the runtime refs a worker running a pthread). */
    override ref(): void {}

    override postMessage(message: unknown, transfer?: Parameters<NodeWorker['postMessage']>[1]): void {
      const m = message as { cmd?: string; urlOrBlob?: unknown } | null;
      const text = m?.cmd === 'load' && m.urlOrBlob instanceof Blob ? blobTexts.get(m.urlOrBlob) : undefined;
      if (text !== undefined) message = { ...m, urlOrBlob: MAIN_SCRIPT, perturbMainScript: prelude + text };
      super.postMessage(message, transfer);
    }
  };
}

/**
 * Runs `start` (which starts the wasm backend) with the patches the threaded build needs for
 * `threads` XNNPACK threads, and removes them afterwards whether or not it succeeds. Rejects if
 * a worker fails or the start takes longer than `timeoutMs`; the workers are then terminated.
 */
export async function withWasmThreadSupport<T>(
  threads: number,
  start: () => Promise<T>,
  timeoutMs = THREAD_START_TIMEOUT_MS,
): Promise<T> {
  const prelude = bundlePrelude();
  let reject!: (error: Error) => void;
  const failed = new Promise<never>((_, r) => (reject = r));
  const watch: StartWatch = {
    workers: [],
    state: 'starting',
    fail: (reason) => {
      watch.state = 'failed';
      reject(new Error(reason));
    },
  };
  const timer = setTimeout(
    () => watch.fail(`the worker threads were not ready after ${timeoutMs / 1000} s`),
    timeoutMs,
  );
  const NativeBlob = globalThis.Blob;
  const createObjectURL = URL.createObjectURL;
  const cpus = os.cpus;
  const workerDescriptor = Object.getOwnPropertyDescriptor(globalThis, 'Worker');
  const BlobUrlWorker = workerClass(prelude, watch);

  globalThis.Blob = class RecordingBlob extends NativeBlob {
    constructor(
      parts: ConstructorParameters<typeof NativeBlob>[0] = [],
      options?: ConstructorParameters<typeof NativeBlob>[1],
    ) {
      super(parts, options);
      if (parts.every((p) => typeof p === 'string')) blobTexts.set(this, parts.join(''));
    }
  };
  URL.createObjectURL = (blob: Blob) => {
    const url = createObjectURL(blob);
    const text = blobTexts.get(blob);
    if (text !== undefined) urlTexts.set(url, text);
    return url;
  };
  const cpu = cpus()[0] ?? ({} as os.CpuInfo); // only the count is read
  os.cpus = () => Array.from({ length: 2 * threads }, () => cpu);
  // The runtime assigns Node's Worker to this global when it starts; keep ours in its place.
  Object.defineProperty(globalThis, 'Worker', {
    configurable: true,
    get: () => BlobUrlWorker,
    set: () => {},
  });
  try {
    const result = await Promise.race([start(), failed]);
    watch.state = 'started';
    return result;
  } catch (error) {
    watch.state = 'failed';
    for (const worker of watch.workers) void worker.terminate();
    throw error;
  } finally {
    clearTimeout(timer);
    globalThis.Blob = NativeBlob;
    URL.createObjectURL = createObjectURL;
    os.cpus = cpus;
    if (workerDescriptor) Object.defineProperty(globalThis, 'Worker', workerDescriptor);
    else delete (globalThis as { Worker?: unknown }).Worker;
    for (const url of urlTexts.keys()) URL.revokeObjectURL(url);
    urlTexts.clear();
  }
}
