/**
 * One training run of a tiny dense model on Fashion-MNIST scenes, as the page does it: a few
 * steps with `@perturb/trainer`, plain or with A-FAN at the sites the scenes experiments use,
 * then the test scenes scored by the task's own evaluation (COCO mAP, mean IoU). Everything it
 * measures goes into a {@link RunReport}: losses, how far the weights moved, the tensors alive
 * after each step and after the model is gone, and the shapes of what the model outputs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Augmenter, type Model, Rng } from '@perturb/core';
import { afan } from '@perturb/afan';
import { type BatchTarget, type Dataset, batchCount, batches, toBatch } from '@perturb/datasets';
import { FasterRcnn, detect } from '@perturb/detection';
import { DeepLabV3Plus } from '@perturb/segmentation';
import { evaluate, train } from '@perturb/trainer';
import { RUN_SETTINGS } from './settings';

export type DenseTask = 'detection' | 'segmentation';
export type Method = 'plain' | 'a-fan';

/** Each image's detections, as plain arrays: `boxes` holds x1, y1, x2, y2 per detection. */
export interface PageDetections {
  boxes: number[];
  scores: number[];
  classes: number[];
}

/** What one run measured. */
export interface RunReport {
  task: DenseTask;
  method: Method;
  /** Each step's training loss. */
  losses: number[];
  /** The largest change of any weight over the run (0 if training moved nothing). */
  weightChange: number;
  /** `tf.memory().numTensors` after each step (a step that leaks makes it grow). */
  tensorsAfterStep: number[];
  /** Tensors alive once the model is disposed, less those alive before it was built. */
  leakedTensors: number;
  /** The task's headline score on the test scenes: COCO mAP (AP@[.50:.95]) or mean IoU. */
  scoreName: 'mAP' | 'meanIoU';
  score: number;
  /** Shape of the model's output on the test scenes: a segmenter's logits, `[n, h, w, classes]`. */
  outputShape: number[];
  /** A detector's detections on each test scene (empty for a segmenter). */
  detections: PageDetections[];
  /** Wall-clock seconds of the run. */
  seconds: number;
}

/** How each task builds its tiny model, its A-FAN stages and reads its score. */
interface TaskSetup {
  target: BatchTarget;
  scoreName: RunReport['scoreName'];
  model(data: Dataset, rng: Rng): Model;
  afanStages(): Augmenter[];
}

const TASKS: Record<DenseTask, TaskSetup> = {
  detection: {
    target: 'boxes',
    scoreName: 'mAP',
    // fasterrcnn's defaults (ResNet-18, CIFAR stem) at the fewest channels, proposals and RoIs.
    model: (data, rng) =>
      new FasterRcnn({ rng, numClasses: data.boxes!.classNames.length, inChannels: 1, preset: 'tiny' }),
    // experiments/scenes-detection.yaml's a-fan: the backbone's layer2 at four strengths (A-FN
    // on the two strongest), then the RoI features; clean weights multiply across stages.
    afanStages: () => [
      afan({
        name: 'afan-layer2',
        sites: ['layer2'],
        steps: 1,
        stepSize: 1 / 255,
        strengths: [0.25, 0.5, 0.75, 1],
        afnStrengths: [0.75, 1],
        cleanWeight: 0.7 / 3,
        adversarialWeight: 0.7 / 3,
      }),
      afan({
        name: 'afan-roi',
        sites: ['roi'],
        steps: 1,
        stepSize: 0.1 / 255,
        strengths: [1],
        cleanWeight: 1,
        adversarialWeight: 0.1,
      }),
    ],
  },
  segmentation: {
    target: 'labelMap',
    scoreName: 'meanIoU',
    model: (data, rng) =>
      new DeepLabV3Plus({
        rng,
        numClasses: data.numClasses,
        inChannels: 1,
        preset: 'tiny',
      }),
    // experiments/scenes-segmentation.yaml's a-fan: layer3 and the ASPP output, two strengths.
    afanStages: () => [
      afan({
        sites: ['layer3', 'aspp'],
        steps: 1,
        stepSize: 1 / 255,
        strengths: [0.5, 1],
        cleanWeight: 0.7,
        adversarialWeight: 0.1,
      }),
    ],
  },
};

/** Trains, scores and disposes one tiny model of `task` on `trainSet`, scored on `testSet`. */
export async function denseRun(
  task: DenseTask,
  method: Method,
  trainSet: Dataset,
  testSet: Dataset,
): Promise<RunReport> {
  const started = performance.now();
  const setup = TASKS[task];
  const { steps, batchSize, lr, seed } = RUN_SETTINGS;
  const tensorsBefore = tf.memory().numTensors;
  const model = setup.model(trainSet, new Rng(seed).child('model'));
  const initial = model.parameters().map((p) => p.dataSync().slice());
  const losses: number[] = [];
  const tensorsAfterStep: number[] = [];
  await train({
    model,
    train: {
      batchesPerEpoch: batchCount(trainSet, { batchSize }),
      batches: (rng) => batches(trainSet, { batchSize, rng, target: setup.target }),
    },
    augmenters: method === 'a-fan' ? setup.afanStages() : [],
    optimizer: { name: 'sgd', momentum: 0.9 },
    lr,
    steps,
    seed,
    progress: false,
    onStep: ({ loss }) => {
      losses.push(loss);
      tensorsAfterStep.push(tf.memory().numTensors);
    },
  });
  const weightChange = Math.max(
    ...model.parameters().map((p, i) => maxAbsDifference(p.dataSync(), initial[i])),
  );
  const testBatches = batches(testSet, {
    batchSize: testSet.labels.length,
    shuffle: false,
    target: setup.target,
  });
  const evaluation = evaluate(model, testBatches, { examples: testSet });
  const outputs = testOutputs(model, task, testSet);
  model.dispose();
  return {
    task,
    method,
    losses,
    weightChange,
    tensorsAfterStep,
    leakedTensors: tf.memory().numTensors - tensorsBefore,
    scoreName: setup.scoreName,
    score: evaluation.scores![setup.scoreName] as number,
    ...outputs,
    seconds: (performance.now() - started) / 1000,
  };
}

/** The trained model's output on the test scenes: its shape, and a detector's detections. */
function testOutputs(model: Model, task: DenseTask, testSet: Dataset) {
  // The test scenes scaled as training batches are (datasets' toBatch); only the images are wanted.
  const { x, y } = toBatch(testSet, undefined, { target: 'none' });
  y.dispose();
  try {
    if (task === 'detection') {
      const detections = detect(model.eval(), x).map((d) => ({
        boxes: Array.from(d.boxes),
        scores: Array.from(d.scores),
        classes: Array.from(d.classes),
      }));
      return { outputShape: [detections.length], detections };
    }
    const logits = model.eval().logits(x, { training: false }) as tf.Tensor;
    const outputShape = logits.shape;
    logits.dispose();
    return { outputShape, detections: [] };
  } finally {
    x.dispose();
  }
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let largest = 0;
  for (let i = 0; i < a.length; i++) largest = Math.max(largest, Math.abs(a[i] - b[i]));
  return largest;
}
