/**
 * The page: draws Fashion-MNIST scenes from the embedded garments, then trains a tiny Faster
 * R-CNN and a tiny DeepLabV3+ a few steps each, plain and with A-FAN, and scores them on test
 * scenes — all in the browser, on the backend `?backend=` names (webgl or wasm; default: the
 * first that starts). What it measured goes into the table and onto `window.__dense`.
 */
import '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { type BackendName, initBackend } from '@perturb/core';
import { type Dataset } from '@perturb/datasets';
import { TEST_SCENES, generateScenes, sceneDataset } from '@perturb/segmentation';
import { type DenseTask, type Method, type RunReport, denseRun } from './dense-runs';
import { loadGarments } from './garments';
import { SCENES } from './settings';

/** What the page publishes: every finished run, and `done` or an error when it stops. */
export interface DensePageState {
  backend: string | null;
  runs: RunReport[];
  done: boolean;
  error: string | null;
}

declare global {
  interface Window {
    __dense: DensePageState;
  }
}

const RUNS: ReadonlyArray<[DenseTask, Method]> = [
  ['detection', 'plain'],
  ['detection', 'a-fan'],
  ['segmentation', 'plain'],
  ['segmentation', 'a-fan'],
];

const state: DensePageState = (window.__dense = { backend: null, runs: [], done: false, error: null });

async function main(): Promise<void> {
  // tfjs-backend-wasm fetches its .wasm binaries from this prefix; the build copies them beside the page.
  setWasmPaths(new URL('./', location.href).href);
  const asked = new URLSearchParams(location.search).get('backend') as BackendName | null;
  const backend = await initBackend({ log: false, ...(asked ? { backend: asked } : {}) });
  state.backend = backend.name;
  if (backend.name === 'webgl') {
    // Without a GPU (SwiftShader, llvmpipe) compiling shaders is most of the time, and WebGL
    // compiles one per op and shape — a detector's change every step, as its proposals survive
    // NMS in varying numbers. Shapes as uniforms and unpacked textures cut the programs: the
    // four runs took 167 s, 67 s with the first and 43 s with both in headless Chromium.
    tf.env().set('WEBGL_USE_SHAPES_UNIFORMS', true);
    tf.env().set('WEBGL_PACK', false);
  }
  show(`backend: ${backend.name}`);
  const [trainSet, testSet] = await Promise.all([scenes('train'), scenes('test')]);
  for (const [task, method] of RUNS) {
    // Let the page draw the previous row: training holds the main thread until the run ends.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const report = await denseRun(task, method, trainSet, testSet);
    state.runs.push(report);
    show(describe(report));
  }
  state.done = true;
}

async function scenes(split: 'train' | 'test'): Promise<Dataset> {
  const garments = await loadGarments(location.href, split);
  const seed = split === 'train' ? 0 : TEST_SCENES.seed;
  return sceneDataset(generateScenes(garments, { count: SCENES[split], size: SCENES.size, seed }));
}

function describe(r: RunReport): string {
  const losses = r.losses.map((l) => l.toFixed(3)).join(' → ');
  return `${r.task} ${r.method}: loss ${losses}, ${r.scoreName} ${r.score.toFixed(3)}, ${r.seconds.toFixed(1)} s`;
}

function show(line: string): void {
  const item = document.createElement('li');
  item.textContent = line;
  document.getElementById('log')!.append(item);
}

main().catch((error: Error) => {
  state.error = error.message;
  show(`error: ${error.message}`);
});
