/**
 * The browser side: loads the model that `model.save` wrote in Node, over HTTP, with
 * `tf.loadLayersModel`, runs it on the batch in `input.json` (served next to the page) and
 * publishes the logits on `window.__layersModel`. The cpu backend, so the numbers do not depend on
 * the GPU the page happens to get.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { logitsModel } from '../logits';

/** What the page publishes once it has run (or failed). */
export interface BrowserLogits {
  backend: string;
  /** One row of class logits per input image. */
  logits: number[][];
  error: string | null;
}

/** The fixed batch the page runs the model on: `[batch, height, width, channels]`, row-major. */
export interface InputBatch {
  shape: [number, number, number, number];
  data: number[];
}

declare global {
  interface Window {
    __layersModel?: BrowserLogits;
  }
}

async function run(): Promise<BrowserLogits> {
  await tf.setBackend('cpu');
  const model = await tfl.loadLayersModel('model/model.json');
  const input = (await (await fetch('input.json')).json()) as InputBatch;
  const x = tf.tensor4d(input.data, input.shape);
  const logits = logitsModel(model).predict(x) as tf.Tensor2D;
  const rows = (await logits.array()) as number[][];
  tf.dispose([x, logits]);
  return { backend: tf.getBackend(), logits: rows, error: null };
}

run().then(
  (result) => (window.__layersModel = result),
  (error: Error) => (window.__layersModel = { backend: tf.getBackend(), logits: [], error: error.message }),
);
