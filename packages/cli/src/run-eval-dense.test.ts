/** `perturb eval` of segmentation and detection runs: the run's own test scores again, and attacks. */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from './config';
import { type EvalRunResult, evalSummary, runEval } from './run-eval';
import { type TrainRunResult, runTrain } from './run-train';
import { TINY_DEEPLAB, TINY_FASTER_RCNN } from './testing/tiny-models';

/** Trains a few steps on a few scenes into a fresh folder, with `settings` over the defaults here. */
async function tinyRun(settings: {
  model: string;
  modelOptions: object;
  [setting: string]: unknown;
}): Promise<{ run: string; trained: TrainRunResult }> {
  const run = join(mkdtempSync(join(tmpdir(), `perturb-eval-${settings.model}-`)), 'run');
  const config = resolveConfig([
    {
      dataset: 'fashion-mnist-scenes-small',
      trainSize: 4,
      testSize: 6,
      batchSize: 2,
      steps: 2,
      out: run,
      ...settings,
    },
  ]);
  return { run, trained: await runTrain(config, { progress: false }) };
}

/** The dense side of an eval result (the test fails on a classification one). */
function dense(result: EvalRunResult) {
  if (result.task === 'classification') throw new Error('expected a dense evaluation');
  return result;
}

describe('perturb eval of a segmentation run', () => {
  let run: string;
  let trained: TrainRunResult;

  beforeAll(async () => {
    ({ run, trained } = await tinyRun({
      model: 'deeplabv3plus',
      modelOptions: TINY_DEEPLAB,
      optimizer: 'adam',
      lr: 0.001,
    }));
  }, 60_000);

  it("reproduces the run's test scores exactly, draws its grid, and leaks no tensor", async () => {
    const before = tf.memory().numTensors;
    const result = dense(await runEval({ run }));
    expect(tf.memory().numTensors).toBe(before);
    expect(result.task).toBe('segmentation');
    expect(result.evaluation.scores!.meanIoU).toBe(trained.testMeanIoU);
    expect(result.evaluation).toEqual(trained.test);
    expect(result.evaluation.scores!.perClassIoU).toHaveLength(11);
    expect(result.grid).toBe(join(run, 'eval-predictions.png'));
    expect(existsSync(result.grid!)).toBe(true);
    expect(evalSummary(result)).toMatch(
      /^clean: loss [\d.]+, pixel accuracy [\d.]+%, meanIoU [\d.]+% \(6 images\)\n/,
    );
  });

  it('scores the images pixel PGD attacked through the segmentation loss, within its budget', async () => {
    const before = tf.memory().numTensors;
    const result = dense(
      await runEval({ run, attack: '{ pixelPgd: { epsilon: 0.1, stepSize: 0.05, steps: 2 } }' }),
    );
    expect(tf.memory().numTensors).toBe(before);
    const attack = result.evaluation.attack!;
    expect(result.grid).toBeNull();
    expect(attack.name).toBe('pixelPgd');
    expect(attack.count).toBe(6);
    expect(attack.linf.max).toBeLessThanOrEqual(0.1 + 1e-6);
    expect(attack.loss).toBeGreaterThan(result.evaluation.loss);
    expect(result.evaluation.scores).toEqual(trained.test.scores);
  });

  it('refuses, in one line, an attack that would not move the label maps with the images', async () => {
    const refusal = runEval({ run, attack: 'mixup' });
    await expect(refusal).rejects.toThrow(
      /^mixup cannot augment batches with label maps: [^\n]*\. attack with an augmenter that keeps them, e\.g\. pixelPgd$/,
    );
  });
});

describe('perturb eval of a detection run', () => {
  let run: string;
  let trained: TrainRunResult;

  beforeAll(async () => {
    ({ run, trained } = await tinyRun({ model: 'fasterrcnn', modelOptions: TINY_FASTER_RCNN }));
  }, 60_000);

  it("reproduces the run's COCO scores exactly and draws its detections", async () => {
    const result = dense(await runEval({ run }));
    expect(result.task).toBe('detection');
    expect(result.evaluation.scores!.mAP).toBe(trained.testMAP);
    // The whole `test` record: loss and accuracy besides the COCO scores, which a detector two
    // steps old may well have all 0.
    expect(result.evaluation).toEqual(trained.test);
    expect(Object.keys(result.evaluation.scores!)).toEqual(
      expect.arrayContaining(['mAP', 'AP50', 'AP75', 'APsmall', 'APmedium', 'APlarge', 'AR100']),
    );
    expect(existsSync(join(run, 'eval-detections.png'))).toBe(true);
  });

  it('scores the images pixel PGD moved along the detection loss, within its budget', async () => {
    // A detector two steps old has no loss surface worth climbing: this checks the attack runs
    // through the detection task and is scored, not that it hurts.
    const attack = '{ pixelPgd: { epsilon: 0.1, stepSize: 0.05, steps: 2 } }';
    const { evaluation } = dense(await runEval({ run, attack }));
    expect(evaluation.attack!.count).toBe(6);
    expect(evaluation.attack!.linf.max).toBeGreaterThan(0.05);
    expect(evaluation.attack!.linf.max).toBeLessThanOrEqual(0.1 + 1e-6);
    expect(evaluation.attack!.loss).not.toBe(evaluation.loss);
    expect(Object.keys(evaluation.attack!.scores!)).toContain('mAP');
  });

  it('refuses an augmenter without an input stage in one line', async () => {
    await expect(runEval({ run, attack: 'afan' })).rejects.toThrow(
      /^augmenter "afan" has no transform to attack with\. pass an augmenter with an input stage, e\.g\. pixelPgd$/,
    );
  });
});
