/**
 * The page: loads the models and images, wires both panels, and exposes what it computed on
 * `window.__explorer` (read by the browser test, and handy in the console).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Dataset } from '@perturb/datasets';
import { fetchBytes, loadImages } from './assets';
import { requestedBackend, startBackend } from './backend';
import { drawGrey, drawLossCurve, drawSigned } from './canvas';
import { LatentExplorer, type PerturbationMode, topClass } from './explorer';
import { MODEL_FILES } from './files';
import { CLASS_NAMES, decodeClassifier, decodeGlow } from './models';
import {
  PAGE_AUGMENTERS,
  type PageAugmenter,
  type TrainMessage,
  type TrainRequest,
} from './training-protocol';

/** Everything the page computed, for people in the console and for the browser test. */
export interface ExplorerState {
  ready: boolean;
  error: string | null;
  backend: string | null;
  /** Backends tried before it, and why each was skipped. */
  skipped: string[];
  /** max |F⁻¹(F(x)) − x| over the 100 test images. */
  roundTripError: number | null;
  selected: number;
  mode: PerturbationMode;
  epsilon: number;
  /** Class of the selected image, the classifier's prediction before and after the perturbation. */
  label: number | null;
  originalClass: number | null;
  perturbedClass: number | null;
  /** Perturbations shown so far (each change of image, mode, ε or draw makes one). */
  renders: number;
  training: {
    running: boolean;
    backend: string | null;
    steps: number;
    losses: number[];
    testAccuracy: number | null;
    seconds: number | null;
    error: string | null;
  };
}

declare global {
  interface Window {
    __explorer: ExplorerState;
  }
}

const state: ExplorerState = {
  ready: false,
  error: null,
  backend: null,
  skipped: [],
  roundTripError: null,
  selected: 0,
  mode: 'random',
  epsilon: 0.2,
  label: null,
  originalClass: null,
  perturbedClass: null,
  renders: 0,
  training: {
    running: false,
    backend: null,
    steps: 0,
    losses: [],
    testAccuracy: null,
    seconds: null,
    error: null,
  },
};
window.__explorer = state;

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const base = document.baseURI;
const forcedBackend = requestedBackend(location.search);
let seed = 0;

async function main(): Promise<void> {
  const backend = await startBackend(forcedBackend);
  state.backend = backend.name;
  const backendLabel = byId('backend');
  backendLabel.textContent = backend.name;
  backendLabel.dataset.backend = backend.name;
  state.skipped = backend.skipped.map((s) => `${s.name}: ${s.reason}`);
  backendLabel.title = state.skipped.map((s) => `skipped ${s}`).join('\n');

  const [glowBytes, classifierBytes, testSet] = await Promise.all([
    fetchBytes(base, MODEL_FILES.glow),
    fetchBytes(base, MODEL_FILES.classifier),
    loadImages(base, 'test'),
  ]);
  const explorer = new LatentExplorer(
    decodeGlow(glowBytes, MODEL_FILES.glow),
    decodeClassifier(classifierBytes, MODEL_FILES.classifier),
  );
  const images = Float32Array.from(testSet.images, (v) => v / 255);
  showGallery(explorer, testSet, images);
  state.roundTripError = tf.tidy(() =>
    explorer.roundTripError(tf.tensor4d(images, [testSet.labels.length, 28, 28, 1])),
  );
  byId('round-trip').textContent = state.roundTripError.toExponential(1);
  wireExplorer(explorer, testSet, images);
  wireTraining();
  state.ready = true;
  byId('status').textContent = 'Ready.';
}

/** The test images as thumbnails, bordered by whether the classifier gets them right. */
function showGallery(explorer: LatentExplorer, testSet: Dataset, images: Float32Array): void {
  const predicted = tf.tidy(() =>
    tf
      .argMax(
        explorer.classifier.logits(tf.tensor4d(images, [testSet.labels.length, 28, 28, 1]), {
          training: false,
        }),
        1,
      )
      .dataSync(),
  );
  const gallery = byId('gallery');
  testSet.labels.forEach((label, i) => {
    const canvas = document.createElement('canvas');
    drawGrey(canvas, images.subarray(i * 784, (i + 1) * 784));
    canvas.dataset.index = String(i);
    canvas.dataset.correct = String(predicted[i] === label);
    canvas.title = `${CLASS_NAMES[label]} (classified as ${CLASS_NAMES[predicted[i]]})`;
    canvas.setAttribute('role', 'option');
    gallery.append(canvas);
  });
}

function wireExplorer(explorer: LatentExplorer, testSet: Dataset, images: Float32Array): void {
  const epsilon = byId<HTMLInputElement>('epsilon');
  let pending = false;
  // Coalesce bursts (a dragged slider) into one perturbation per frame.
  const update = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      render(explorer, testSet, images);
    });
  };
  byId('gallery').addEventListener('click', (event) => {
    const index = (event.target as HTMLElement).dataset.index;
    if (index === undefined) return;
    state.selected = Number(index);
    update();
  });
  for (const radio of document.querySelectorAll<HTMLInputElement>('input[name=mode]')) {
    radio.addEventListener('change', () => {
      state.mode = radio.value as PerturbationMode;
      update();
    });
  }
  epsilon.addEventListener('input', () => {
    state.epsilon = Number(epsilon.value);
    byId('epsilon-value').textContent = state.epsilon.toFixed(2);
    update();
  });
  byId('redraw').addEventListener('click', () => {
    seed++;
    update();
  });
  render(explorer, testSet, images);
}

function render(explorer: LatentExplorer, testSet: Dataset, images: Float32Array): void {
  const i = state.selected;
  const image = images.subarray(i * 784, (i + 1) * 784);
  const label = testSet.labels[i];
  const view = explorer.perturb({ image, label, mode: state.mode, epsilon: state.epsilon, seed });
  for (const thumb of byId('gallery').children) {
    thumb.setAttribute('aria-selected', String((thumb as HTMLElement).dataset.index === String(i)));
  }
  drawGrey(byId('original'), image);
  drawGrey(byId('perturbed'), view.perturbed);
  drawSigned(byId('difference'), view.difference);
  state.label = label;
  state.originalClass = topClass(view.original);
  state.perturbedClass = topClass(view.after);
  byId('original-class').textContent = `${CLASS_NAMES[label]} → ${CLASS_NAMES[state.originalClass]}`;
  byId('perturbed-class').textContent = `→ ${CLASS_NAMES[state.perturbedClass]}`;
  byId('probabilities').replaceChildren(
    ...CLASS_NAMES.map((name, c) => {
      const row = document.createElement('li');
      row.innerHTML = `<span>${name}</span><span class="bar" style="width:${100 * view.original[c]}%"></span><span class="bar after" style="width:${100 * view.after[c]}%"></span>`;
      return row;
    }),
  );
  state.renders++;
}

function wireTraining(): void {
  const button = byId<HTMLButtonElement>('start-training');
  const curve = byId<HTMLCanvasElement>('loss-curve');
  const status = byId('training-status');
  drawLossCurve(curve, [], 1);
  button.addEventListener('click', () => {
    const augmenters = [...document.querySelectorAll<HTMLInputElement>('input[name=augmenter]:checked')]
      .map((box) => box.value as PageAugmenter)
      .sort((a, b) => PAGE_AUGMENTERS.indexOf(a) - PAGE_AUGMENTERS.indexOf(b));
    const steps = Number(byId<HTMLInputElement>('steps').value);
    const training = state.training;
    Object.assign(training, {
      running: true,
      steps,
      losses: [],
      testAccuracy: null,
      seconds: null,
      error: null,
    });
    button.disabled = true;
    status.textContent = `Starting (${augmenters.join(' → ') || 'no augmenters'})…`;
    const worker = new Worker(new URL('./training-worker.ts', import.meta.url), { type: 'module' });
    const finish = (text: string) => {
      training.running = false;
      button.disabled = false;
      status.textContent = text;
      worker.terminate();
    };
    worker.onmessage = ({ data }: MessageEvent<TrainMessage>) => {
      if (data.kind === 'started') {
        training.backend = data.backend;
        status.textContent = `Training on ${data.backend}…`;
      } else if (data.kind === 'step') {
        training.losses.push(data.loss);
        drawLossCurve(curve, training.losses, steps);
        status.textContent = `Step ${data.step}/${steps} on ${training.backend}: loss ${data.loss.toFixed(3)}`;
      } else if (data.kind === 'done') {
        training.testAccuracy = data.testAccuracy;
        training.seconds = data.seconds;
        finish(
          `${steps} steps in ${data.seconds.toFixed(1)} s on ${training.backend}: test accuracy ${(100 * data.testAccuracy).toFixed(0)}%`,
        );
      } else {
        training.error = data.message;
        finish(`Training failed: ${data.message}`);
      }
    };
    const request: TrainRequest = {
      base,
      augmenters,
      steps,
      batchSize: 32,
      seed: 0,
      ...(forcedBackend ? { backend: forcedBackend } : {}),
    };
    worker.postMessage(request);
  });
}

main().catch((error: unknown) => {
  state.error = error instanceof Error ? error.message : String(error);
  const status = byId('status');
  status.textContent = state.error;
  status.classList.add('error');
});
