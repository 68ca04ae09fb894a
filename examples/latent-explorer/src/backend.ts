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

/**
 * Starts the first backend that works, or exactly `forced` (e.g. from `?backend=webgl`). WebGL
 * drawn by the CPU (SwiftShader, llvmpipe: what a machine without a GPU offers) is skipped
 * unless forced: there tfjs' shaders ran this page ~20× slower than wasm (84 s against 4 s to
 * load in headless Chromium), and the skip is listed with the others.
 */
export async function startBackend(forced?: BackendName): Promise<BackendInfo> {
  setWasmPaths({
    'tfjs-backend-wasm.wasm': wasm,
    'tfjs-backend-wasm-simd.wasm': wasmSimd,
    'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
  });
  if (forced) return initBackend({ log: false, backend: forced });
  const software = softwareWebglRenderer();
  if (!software) return initBackend({ log: false });
  const info = await initBackend({ log: false, order: ['wasm', 'cpu'] });
  return {
    ...info,
    skipped: [{ name: 'webgl', reason: `software renderer (${software})` }, ...info.skipped],
  };
}

/** The WebGL renderer's name when the CPU draws it, else null (a GPU, or no WebGL at all). */
function softwareWebglRenderer(): string | null {
  if (typeof OffscreenCanvas === 'undefined') return null;
  const gl = new OffscreenCanvas(1, 1).getContext('webgl2');
  if (!gl) return null;
  const debug = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  return /swiftshader|llvmpipe|softpipe|software/i.test(renderer) ? renderer : null;
}

/** The backend the page's address asks for, if any (`?backend=wasm`). */
export function requestedBackend(search: string): BackendName | undefined {
  const asked = new URLSearchParams(search).get('backend');
  return PAGE_BACKENDS.find((name) => name === asked);
}
