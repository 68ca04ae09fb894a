/**
 * Detection runs in the cli: the grid a run writes and the compare report over detection runs
 * (from hand-written result.json files; the task-fit refusals are rows of bad-input.test.ts).
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { type Batch, type Model, defineModel, initBackend, z } from '@perturb/core';
import type { Dataset } from '@perturb/datasets';
import { classColor } from '@perturb/detection';
import { decodePngImage } from '@perturb/segmentation';
import { beforeAll, describe, expect, it } from 'vitest';
import { DETECTION_GRID, writeDetectionGrid } from './detection-grid';
import { writeCompareReport } from './report';
import { buildModel } from './run-train';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

/** Two 16×16 gray images, each with one object: class 1 at (2, 3)–(10, 12), class 0 at (0, 0)–(16, 5). */
const DATA: Dataset = {
  name: 'two-boxes',
  images: new Uint8Array(2 * 256).fill(90),
  labels: Uint8Array.from([1, 0]),
  shape: { height: 16, width: 16, channels: 1 },
  numClasses: 3,
  classNames: ['a', 'b', 'c'],
  boxes: {
    classNames: ['a', 'b', 'c'],
    offsets: Int32Array.from([0, 1, 2]),
    boxes: Float32Array.from([2, 3, 10, 12, 0, 0, 16, 5]),
    classes: Int32Array.from([1, 0]),
  },
};

/** A stand-in detector whose task predicts one box of class 2 at (4, 4)–(8, 8) in every image. */
function standInDetector(): Model {
  return {
    task: {
      kind: 'detection',
      predictedTargets: (_logits: tf.Tensor, batch: Batch): Batch => {
        const n = batch.x.shape[0];
        return {
          x: batch.x,
          y: batch.y,
          boxes: {
            boxes: tf.tile(tf.tensor3d([4, 4, 8, 8], [1, 1, 4]), [n, 1, 1]) as tf.Tensor3D,
            classes: tf.fill([n, 1], 2, 'int32') as tf.Tensor2D,
          },
        };
      },
    },
    logits: (x: tf.Tensor4D) => tf.zeros([x.shape[0], 1]),
  } as unknown as Model;
}

describe('detection runs', () => {
  it('build a detector over the dataset’s object classes, not its image classes', () => {
    // Scenes count the background among their image classes; a detector adds its own.
    const created: number[] = [];
    defineModel({
      name: 'counting-detector',
      summary: 'a stand-in detector recording its class count',
      schema: z.strictObject({}),
      create: (_options, { numClasses }) => {
        created.push(numClasses);
        return { ...standInDetector(), numClasses, dispose() {} } as unknown as Model;
      },
    });
    const data = { ...DATA, numClasses: 4, classNames: ['background', 'a', 'b', 'c'] };
    const model = buildModel(
      { model: 'counting-detector', modelOptions: {}, seed: 0, dataset: 'two-boxes' },
      data,
    );
    expect(model.numClasses).toBe(3);
    expect(created).toEqual([4, 3]);
  });

  it('write detections.png: predicted boxes beside the ground truth, class-coloured', () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-detection-'));
    const before = tf.memory().numTensors;
    writeDetectionGrid(dir, standInDetector(), DATA);
    expect(tf.memory().numTensors).toBe(before);
    const png = decodePngImage(readFileSync(join(dir, DETECTION_GRID)));
    // Two rows of two 32×32 panels (zoom 2), 2 pixels apart.
    expect([png.width, png.height]).toEqual([2 + 32 + 2 + 32 + 2, 2 + 32 + 2 + 32 + 2]);
    const at = (x: number, y: number) =>
      Array.from(png.data.subarray((y * png.width + x) * 3, (y * png.width + x) * 3 + 3));
    // Prediction (4, 4)–(8, 8) of class 2: its top-left corner at zoomed (8, 8) of the first panel.
    expect(at(2 + 8, 2 + 8)).toEqual([...classColor(2)]);
    // Ground truth of image 0, class 1: its left edge at zoomed x = 4, rows 6..23, in the second panel.
    expect(at(36 + 4, 2 + 15)).toEqual([...classColor(1)]);
    expect(at(36 + 5, 2 + 15)).toEqual([90, 90, 90]);
  });

  it('are compared by mAP with an AP50 table, rendered as tables in HTML too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-detection-report-'));
    const maps: Record<string, number[]> = { baseline: [0.3, 0.32, 0.31], afan: [0.34, 0.35, 0.36] };
    for (const [method, values] of Object.entries(maps)) {
      values.forEach((mAP, seed) => {
        const folder = join(dir, 'runs', method, `n500-s${seed}`);
        mkdirSync(folder, { recursive: true });
        const result = {
          config: { trainSize: 500, seed },
          task: 'detection',
          testAccuracy: 0.9,
          testMAP: mAP,
          testAP50: mAP + 0.3,
          testAP75: mAP - 0.05,
          trainingSeconds: 60,
        };
        writeFileSync(join(folder, 'result.json'), JSON.stringify(result));
      });
    }
    writeDetectionGrid(join(dir, 'runs', 'afan', 'n500-s0'), standInDetector(), DATA);
    writeDetectionGrid(join(dir, 'runs', 'baseline', 'n500-s0'), standInDetector(), DATA);
    // The grid lists the baseline first, against the folders' alphabetical order.
    writeFileSync(join(dir, 'compare.yaml'), 'methods:\n  baseline: {}\n  afan: {}\n');
    const files = writeCompareReport(dir);
    const markdown = readFileSync(files.markdown, 'utf8');
    expect(markdown).toMatch(/: test mAP by method\n/);
    expect(markdown).toContain('## Test mAP (%)');
    // afan: mean 35.00 mAP, 65.00 AP50; baseline 31.00 and 61.00.
    expect(markdown).toMatch(/\| afan \| 500 \| 3 \| 35\.00 \|/);
    expect(markdown).toContain('## Test AP50 (%)');
    expect(markdown).toMatch(/\| afan \| 65\.00 \|/);
    expect(markdown).toMatch(/\| baseline \| 61\.00 \|/);
    // Every table and the images follow compare.yaml's order.
    expect(markdown).toMatch(/\| baseline \| 61\.00 \|\n\| afan \| 65\.00 \|/);
    expect(markdown).toContain('baseline: predicted boxes');
    expect(markdown.indexOf('baseline: predicted boxes')).toBeLessThan(markdown.indexOf('afan: predicted boxes'));
    expect(markdown).toContain('afan: predicted boxes | ground-truth boxes (n500-s0)');
    const html = readFileSync(files.html, 'utf8');
    expect(html).toContain('<h2>Test AP50 (%)</h2>');
    expect(html).toMatch(/<td>afan<\/td><td>65\.00<\/td>/);
    expect(html).not.toMatch(/\|---/);
  });

  it('leave the segmentation report its pixel-accuracy table, now a real table in HTML (issue 18)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-segmentation-report-'));
    [0.4, 0.42].forEach((meanIoU, seed) => {
      const folder = join(dir, 'runs', 'baseline', `n8-s${seed}`);
      mkdirSync(folder, { recursive: true });
      const result = {
        config: { trainSize: 8, seed },
        testAccuracy: 0.8,
        testMeanIoU: meanIoU,
        trainingSeconds: 5,
      };
      writeFileSync(join(folder, 'result.json'), JSON.stringify(result));
    });
    const files = writeCompareReport(dir);
    expect(readFileSync(files.markdown, 'utf8')).toMatch(
      /## Test pixel accuracy \(%\)[\s\S]*\| baseline \| 80\.00 \|/,
    );
    const html = readFileSync(files.html, 'utf8');
    expect(html).toMatch(/<td>baseline<\/td><td>80\.00<\/td>/);
    expect(html).not.toContain('| method |');
  });
});
