import type { Dataset } from '@perturb/datasets';
import { describe, expect, it } from 'vitest';
import { datasetGroundTruth } from './dataset-ground-truth';
import { CocoAccumulator } from './detection-metrics';

/** One 32×32 image with a real object of class 0 and a crowd region of class 0. */
const CROWDED: Dataset = {
  name: 'crowded',
  images: new Uint8Array(32 * 32),
  labels: Uint8Array.from([0]),
  shape: { height: 32, width: 32, channels: 1 },
  numClasses: 1,
  classNames: ['a'],
  boxes: {
    classNames: ['a'],
    offsets: Int32Array.from([0, 2]),
    boxes: Float32Array.from([2, 2, 12, 12, 16, 16, 30, 30]),
    classes: Int32Array.from([0, 0]),
    evaluationOnly: Uint8Array.from([0, 1]),
  },
};

/** The best detection on the crowd region, the next on the real object. */
const DETECTIONS = {
  boxes: Float32Array.from([16, 16, 30, 30, 2, 2, 12, 12]),
  scores: Float32Array.from([0.95, 0.9]),
  classes: Int32Array.from([0, 0]),
};

/** What a batch carries of the image: the real object only. */
const BATCH_TRUTH = { boxes: Float32Array.from([2, 2, 12, 12]), classes: Int32Array.from([0]) };

describe('CocoAccumulator', () => {
  it("scores against the dataset's own ground truth, where a detection on a crowd region is no false positive", () => {
    const fromBatches = new CocoAccumulator(1);
    fromBatches.add(DETECTIONS, BATCH_TRUTH);
    const fromDataset = new CocoAccumulator(1, datasetGroundTruth(CROWDED));
    fromDataset.add(DETECTIONS, BATCH_TRUTH);
    expect(fromBatches.result().AP50).toBeCloseTo(0.5, 6);
    expect(fromDataset.result().AP50).toBeCloseTo(1, 6);
  });

  it('refuses, in one line each, a ground truth of other classes or other images than those evaluated', () => {
    expect(() => new CocoAccumulator(3, datasetGroundTruth(CROWDED))).toThrow(
      /^the ground truth has 1 categories, but the detector has 3 classes\. [^\n]+$/,
    );
    const twice = new CocoAccumulator(1, datasetGroundTruth(CROWDED));
    twice.add(DETECTIONS, BATCH_TRUTH);
    twice.add(DETECTIONS, BATCH_TRUTH);
    expect(() => twice.result()).toThrow(
      /^the detection evaluation saw 2 images, but the ground truth it was given has 1\. [^\n]+$/,
    );
  });
});
