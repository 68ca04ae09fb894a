import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, initBackend } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createFasterRcnn,
  fasterRcnnPeerArgs,
  fasterRcnnStep,
  randomBoxes,
  type FasterRcnnStepSpec,
} from './fasterrcnn-step';
import { pythonWithTorch } from './peers';

const TINY: FasterRcnnStepSpec = {
  batch: 2,
  size: 32,
  classes: 3,
  objects: 2,
  model: {
    width: 4,
    blocks: [1, 1, 1, 1],
    stem: 'cifar',
    fpnChannels: 8,
    anchorSizes: [6, 9, 13, 20, 30],
    aspectRatios: [0.5, 1, 2],
    rpnPreNmsTopNTrain: 20,
    rpnPostNmsTopNTrain: 10,
    rpnPreNmsTopNTest: 10,
    rpnPostNmsTopNTest: 5,
    rpnBatchSizePerImage: 32,
    roiSamples: 8,
    representationSize: 16,
    canonicalScale: 56,
  },
};
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('fasterrcnn row', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 1, log: false });
  });

  it('draws boxes of garment sizes inside the image with 0-based classes', () => {
    const spec = { ...TINY, batch: 4, size: 64, objects: 5 };
    const { boxes, classes } = randomBoxes(new Rng(3), spec);
    expect(boxes.shape).toEqual([4, 5, 4]);
    const b = boxes.arraySync().flat();
    for (const [x1, y1, x2, y2] of b) {
      expect(Math.min(x1, y1)).toBeGreaterThanOrEqual(0);
      expect(Math.max(x2, y2)).toBeLessThanOrEqual(64);
      for (const side of [x2 - x1, y2 - y1]) {
        expect(side).toBeGreaterThanOrEqual(14);
        expect(side).toBeLessThanOrEqual(42);
      }
    }
    expect(
      classes
        .arraySync()
        .flat()
        .every((c) => c >= 0 && c < TINY.classes),
    ).toBe(true);
    tf.dispose([boxes, classes]);
  });

  it('one tiny SGD step gives a finite loss and frees what it made', () => {
    const before = tf.memory().numTensors;
    const { step, dispose } = fasterRcnnStep(TINY);
    const losses = [step(), step()];
    dispose();
    expect(losses.every(Number.isFinite)).toBe(true);
    // Four losses of a random detector: the classifier's alone starts near ln 4 (3 classes + background).
    expect(losses[0]).toBeGreaterThan(0.5);
    expect(losses[0]).toBeLessThan(10);
    expect(tf.memory().numTensors).toBe(before);
  });

  const python = pythonWithTorch();
  it.skipIf(!python)(
    "the peer builds the row's network: the same parameter count, pyramid and anchors",
    () => {
      const script = `${repoRoot}/packages/bench/peers/fasterrcnn_peer.py`;
      const args = fasterRcnnPeerArgs(TINY);
      const out = JSON.parse(
        execFileSync(python!, [script, '--shapes', ...args, '--threads', '1'], { encoding: 'utf8' }).trim(),
      );
      const model = createFasterRcnn(TINY, new Rng(0));
      const params = model.parameters().reduce((sum, p) => sum + p.size, 0);
      const x = tf.zeros([1, TINY.size, TINY.size, 1]) as tf.Tensor4D;
      const output = model.logits(x, { training: false });
      expect(out.params).toBe(params);
      expect(out.anchors).toBe(output.rpn.anchors.shape[0]);
      expect(out.levels).toEqual([
        [16, 16],
        [8, 8],
        [4, 4],
        [2, 2],
        [1, 1],
      ]);
      tf.dispose([x, output]);
      model.dispose();
      expect(() => execFileSync(python!, [script, '--size', '48'], { stdio: 'pipe' })).toThrow(
        /multiple of 32, the coarsest pyramid stride/,
      );
    },
    // Two Python processes, each importing torch: tens of seconds on a loaded machine.
    180_000,
  );
});
