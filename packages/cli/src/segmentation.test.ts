/** Segmentation through `perturb compare` end to end, and the config errors of a model that does not fit its data. */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { resolveConfig } from './config';
import { runTrain } from './run-train';
import { runPerturb } from './testing/perturb-process';
import { TINY_DEEPLAB } from './testing/tiny-models';

describe('segmentation runs', () => {
  it('compares a baseline with A-FAN at a DeepLabV3+ site and reports mean IoU with prediction grids', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-segmentation-'));
    const grid = join(dir, 'grid.yaml');
    writeFileSync(
      grid,
      stringify({
        base: {
          dataset: 'fashion-mnist-scenes-small',
          model: 'deeplabv3plus',
          modelOptions: TINY_DEEPLAB,
          testSize: 4,
          batchSize: 4,
          epochs: 1,
          optimizer: 'adam',
          lr: 0.001,
          schedule: 'constant',
        },
        methods: {
          baseline: { augmenters: ['horizontalFlip'] },
          afan: { augmenters: ['horizontalFlip', { afan: { sites: ['aspp'], steps: 1 } }] },
        },
        trainSizes: [8],
        jobs: 1,
        out: join(dir, 'out'),
      }),
    );
    const run = await runPerturb(['compare', '--config', grid], { timeoutMs: 120_000 });
    expect(run.code, run.stderr).toBe(0);
    for (const method of ['baseline', 'afan']) {
      const folder = join(dir, 'out', 'runs', method, 'n8-s0');
      const result = JSON.parse(readFileSync(join(folder, 'result.json'), 'utf8'));
      expect(result.task).toBe('segmentation');
      expect(result.testMeanIoU).toBeGreaterThanOrEqual(0);
      expect(result.testMeanIoU).toBeLessThanOrEqual(1);
      expect(result.test.scores.perClassIoU).toHaveLength(11);
      expect(existsSync(join(folder, 'predictions.png'))).toBe(true);
    }
    const report = readFileSync(join(dir, 'out', 'report.md'), 'utf8');
    expect(report).toContain('Test mean IoU (%)');
    expect(report).toContain('Test pixel accuracy (%)');
    expect(report).toContain('afan: image | prediction | ground truth | error');
  }, 180_000);

  it('refuses a classifier on a segmentation dataset and a segmentation model on class labels', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-segmentation-'));
    const classifier = resolveConfig([
      {
        dataset: 'fashion-mnist-scenes-small',
        model: 'lenet5',
        trainSize: 4,
        testSize: 4,
        epochs: 1,
        out: join(dir, 'a'),
      },
    ]);
    await expect(runTrain(classifier, { progress: false })).rejects.toThrow(
      /model lenet5 is a classification model, but dataset "fashion-mnist-scenes-small" is a segmentation and detection dataset \(label maps and boxes\)\. use model deeplabv3plus or fasterrcnn, or a classification dataset/,
    );
    const segmenter = resolveConfig([
      {
        model: 'deeplabv3plus',
        modelOptions: TINY_DEEPLAB,
        trainSize: 10,
        testSize: 10,
        epochs: 1,
        out: join(dir, 'b'),
      },
    ]);
    await expect(runTrain(segmenter, { progress: false })).rejects.toThrow(
      /model deeplabv3plus predicts a class per pixel, but dataset "fashion-mnist-small" has only a class per image/,
    );
  });

  it('names the augmenter that cannot move label maps', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-segmentation-'));
    const config = resolveConfig([
      {
        dataset: 'fashion-mnist-scenes-small',
        model: 'deeplabv3plus',
        modelOptions: TINY_DEEPLAB,
        augmenters: ['mixup'],
        trainSize: 4,
        testSize: 4,
        batchSize: 4,
        epochs: 1,
        out: join(dir, 'c'),
      },
    ]);
    await expect(runTrain(config, { progress: false })).rejects.toThrow(
      /^mixup cannot augment batches with label maps/,
    );
  });
});
