/**
 * Trains the page's models in Node and writes everything the page loads into public/:
 * a small Glow (maximum likelihood) and a LeNet-5 on the Fashion-MNIST subset shipped in
 * @perturb/datasets, and the images the page shows and trains on.
 *
 *   npm run train-weights -w examples/latent-explorer
 *
 * Deterministic for a given backend (seed 0). See the README for the time it takes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { horizontalFlip, randomCrop } from '@perturb/augmenters';
import { initBackend, Rng } from '@perturb/core';
import { batchCount, batches, type Dataset, encodeIdx, stratifiedSubset } from '@perturb/datasets';
import { loadDataset } from '@perturb/datasets/node';
import { Glow, trainFlow } from '@perturb/flows';
import { train } from '@perturb/trainer';
import { createClassifier, encodeClassifier, encodeGlow, GLOW_SIZE, IMAGE_SHAPE } from '../src/models';
import { DATA_FILES, type PageSplit, TRAINING_SUMMARY } from '../src/files';

const FLOW_EPOCHS = 16;
const CLASSIFIER_EPOCHS = 20;
const BATCH_SIZE = 64;
/** Images the page trains on (its second panel) and shows (its first). */
const PAGE_IMAGES: Record<PageSplit, number> = { train: 1000, test: 100 };

const publicDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'public');

async function main(): Promise<void> {
  const started = Date.now();
  const backend = await initBackend();
  const trainSet = await loadDataset('fashion-mnist-small');
  const testSet = await loadDataset('fashion-mnist-small', { split: 'test' });

  const flow = new Glow({ inputShape: IMAGE_SHAPE, ...GLOW_SIZE, rng: new Rng(0).child('flow') });
  const flowResult = await trainFlow({
    model: flow,
    train: imageArray(trainSet),
    test: imageArray(testSet),
    // No run storage: trained in memory, and only the final weights are shipped.
    epochs: FLOW_EPOCHS,
    batchSize: BATCH_SIZE,
    // Warm up over the first epoch: the default 200 steps would outlast this short run.
    warmupSteps: Math.ceil(trainSet.labels.length / BATCH_SIZE),
    sampleCount: 16,
    seed: 0,
    progress: true,
  });
  const flowSeconds = (Date.now() - started) / 1000;

  const classifier = createClassifier(0);
  const classifierResult = await train({
    model: classifier,
    train: {
      batchesPerEpoch: batchCount(trainSet, { batchSize: BATCH_SIZE }),
      batches: (rng) => batches(trainSet, { batchSize: BATCH_SIZE, rng }),
    },
    test: () => batches(testSet, { batchSize: 250, shuffle: false }),
    augmenters: [randomCrop({ padding: 2 }), horizontalFlip()],
    optimizer: { name: 'adam' },
    lr: 2e-3,
    schedule: { name: 'cosine' },
    epochs: CLASSIFIER_EPOCHS,
    evalEvery: 0,
    seed: 0,
  });

  mkdirSync(join(publicDir, 'models'), { recursive: true });
  writeFileSync(join(publicDir, 'models', 'glow.safetensors'), encodeGlow(flow));
  writeFileSync(join(publicDir, 'models', 'classifier.safetensors'), encodeClassifier(classifier));
  writePageImages('train', trainSet);
  writePageImages('test', testSet);
  const summary = {
    backend: backend.name,
    glow: {
      ...flow.config,
      parameters: flow.numParameters(),
      epochs: FLOW_EPOCHS,
      testBitsPerDim: flowResult.testBitsPerDim,
    },
    classifier: {
      name: 'LeNet-5',
      parameters: classifier.numParameters(),
      epochs: CLASSIFIER_EPOCHS,
      testAccuracy: classifierResult.final?.accuracy ?? null,
    },
    seconds: { flow: flowSeconds, total: (Date.now() - started) / 1000 },
  };
  writeFileSync(join(publicDir, TRAINING_SUMMARY), `${JSON.stringify(summary, null, 2)}\n`);
  process.stderr.write(`${JSON.stringify(summary)}\n`);
}

function imageArray(dataset: Dataset) {
  const [height, width, channels] = IMAGE_SHAPE;
  return { images: dataset.images, count: dataset.labels.length, height, width, channels };
}

/** A class-balanced subset of `dataset`, gzipped IDX as the dataset's own files. */
function writePageImages(split: PageSplit, dataset: Dataset): void {
  const subset = stratifiedSubset(dataset, {
    size: PAGE_IMAGES[split],
    rng: new Rng(0).child(`page-${split}`),
  });
  const count = subset.labels.length;
  const files = DATA_FILES[split];
  mkdirSync(dirname(join(publicDir, files.images)), { recursive: true });
  writeFileSync(join(publicDir, files.images), gzipSync(encodeIdx([count, 28, 28], subset.images)));
  writeFileSync(join(publicDir, files.labels), gzipSync(encodeIdx([count], Uint8Array.from(subset.labels))));
}

await main();
