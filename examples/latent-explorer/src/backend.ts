/**
 * Starting TensorFlow.js in the page (and in its training worker): core's `initBackend` tries
 * webgl → wasm → cpu in a browser. WebGL is there because this file imports it; the wasm
 * binaries are served from the build, where Vite copied them (`?url`), not from a CDN.
 */
import '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { type BackendInfo, type BackendName, initBackend } from '@perturb/core';

/** The backends a page can ask for with `?backend=`. */
export const PAGE_BACKENDS = ['webgl', 'wasm', 'cpu'] as const satisfies readonly BackendName[];

/** Starts the first backend that works, or exactly `forced` (e.g. from `?backend=wasm`). */
export async function startBackend(forced?: BackendName): Promise<BackendInfo> {
  setWasmPaths({
    'tfjs-backend-wasm.wasm': wasm,
    'tfjs-backend-wasm-simd.wasm': wasmSimd,
    'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
  });
  return initBackend({ log: false, ...(forced ? { backend: forced } : {}) });
}

/** The backend the page's address asks for, if any (`?backend=wasm`). */
export function requestedBackend(search: string): BackendName | undefined {
  const asked = new URLSearchParams(search).get('backend');
  return PAGE_BACKENDS.find((name) => name === asked);
}
