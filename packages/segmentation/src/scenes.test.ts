import * as tf from '@tensorflow/tfjs-core';
import { PerturbError, initBackend } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { embeddedScenes } from './scenes-files';
import {
  type GarmentSource,
  generateScenes,
  sceneObjects,
  sceneTensors,
  testScenes,
  TEST_SCENES,
} from './scenes';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

/** Byte-for-byte equality without vitest's slow deep diff of large arrays. */
function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

/** Three 28×28 "garments": a blob (class 4), a bar (class 7) and a full square (class 1). */
function toySource(): GarmentSource {
  const images = new Uint8Array(3 * 28 * 28);
  for (let r = 0; r < 28; r++) {
    for (let c = 0; c < 28; c++) {
      const blob = (r - 14) ** 2 + (c - 12) ** 2 < 60 ? 200 : (r - 14) ** 2 + (c - 12) ** 2 < 80 ? 10 : 0;
      images[r * 28 + c] = blob;
      images[784 + r * 28 + c] = r >= 5 && r < 23 && c >= 10 && c < 16 ? 180 + r : 0;
      images[2 * 784 + r * 28 + c] = 255;
    }
  }
  return { images, labels: [4, 7, 1], numClasses: 10 };
}

describe('Fashion-MNIST scenes', () => {
  it('labels exactly the pixels a garment covers, and nothing else', () => {
    const set = generateScenes(toySource(), { count: 30, seed: 3, threshold: 25 });
    expect(set.numClasses).toBe(11);
    expect(set.classNames[0]).toBe('background');
    const area = set.size * set.size;
    const wrong: number[] = [];
    for (let p = 0; p < set.count * area; p++) {
      const ok =
        set.labels[p] === 0 ? set.images[p] === 0 : set.images[p] >= 25 && [5, 8, 2].includes(set.labels[p]);
      if (!ok) wrong.push(p);
    }
    expect(wrong).toEqual([]);
  });

  it('pastes a garment at scale 1 pixel for pixel, with a tight box around its own pixels', () => {
    const source = toySource();
    for (const seed of [0, 1, 2, 3]) {
      const set = generateScenes(source, { count: 1, seed, garments: 1, scale: [1, 1] });
      const [box] = set.boxes[0];
      const g = box.source;
      // The source garment's own tight box of pixels above the threshold.
      let r0 = 28,
        r1 = -1,
        c0 = 28,
        c1 = -1;
      for (let r = 0; r < 28; r++)
        for (let c = 0; c < 28; c++)
          if (source.images[g * 784 + r * 28 + c] > 25) {
            r0 = Math.min(r0, r);
            r1 = Math.max(r1, r);
            c0 = Math.min(c0, c);
            c1 = Math.max(c1, c);
          }
      expect([box.width, box.height]).toEqual([c1 - c0 + 1, r1 - r0 + 1]);
      expect(box.label).toBe(source.labels[g]);
      const left = box.x - c0;
      const top = box.y - r0;
      let visible = 0;
      for (let y = 0; y < set.size; y++) {
        for (let x = 0; x < set.size; x++) {
          const r = y - top;
          const c = x - left;
          const own = r >= 0 && r < 28 && c >= 0 && c < 28 ? source.images[g * 784 + r * 28 + c] : 0;
          const expected = own > 25 ? own : 0;
          expect(set.images[y * set.size + x]).toBe(expected);
          expect(set.labels[y * set.size + x]).toBe(expected > 0 ? box.label + 1 : 0);
          if (expected > 0) visible++;
        }
      }
      expect(box.visiblePixels).toBe(visible);
    }
  });

  it('lets later garments cover earlier ones and drops the fully covered ones', () => {
    // Canvas = garment size: every garment lands at (0, 0); the full square (source 2) covers everything.
    const set = generateScenes(toySource(), {
      count: 40,
      seed: 5,
      size: 28,
      scale: [1, 1],
      garments: [2, 3],
    });
    let coveredScenes = 0;
    for (let i = 0; i < set.count; i++) {
      const boxes = set.boxes[i];
      const labels = set.labels.subarray(i * 784, (i + 1) * 784);
      const last = boxes[boxes.length - 1];
      if (last.source === 2) {
        coveredScenes++;
        expect(boxes).toHaveLength(1);
        expect(labels.every((v) => v === 2)).toBe(true);
        expect(last).toMatchObject({ x: 0, y: 0, width: 28, height: 28, visiblePixels: 784 });
      }
      // Every labelled pixel belongs to exactly one box, and each box edge touches its garment's class.
      expect(boxes.reduce((n, b) => n + b.visiblePixels, 0)).toBe(labels.filter((v) => v > 0).length);
      for (const b of boxes) {
        const row = (y: number) => Array.from({ length: b.width }, (_, k) => labels[y * 28 + b.x + k]);
        const col = (x: number) => Array.from({ length: b.height }, (_, k) => labels[(b.y + k) * 28 + x]);
        for (const edge of [row(b.y), row(b.y + b.height - 1), col(b.x), col(b.x + b.width - 1)]) {
          expect(edge).toContain(b.label + 1);
        }
      }
    }
    expect(coveredScenes).toBeGreaterThan(0);
  });

  it('gives detection boxes with exclusive edges, tight around their garment’s label-map pixels', () => {
    // Where every garment of a scene has a class of its own, the label map tells its pixels
    // apart: the box must be exactly their bounding box (x2, y2 one past the last column, row).
    const set = generateScenes(toySource(), { count: 30, seed: 3, size: 48 });
    const objects = sceneObjects(set);
    expect(objects.classNames).toEqual(set.classNames.slice(1));
    let checked = 0;
    for (let i = 0; i < set.count; i++) {
      const rows = Array.from(
        { length: objects.offsets[i + 1] - objects.offsets[i] },
        (_, j) => objects.offsets[i] + j,
      );
      expect(rows).toHaveLength(set.boxes[i].length);
      const classes = rows.map((r) => objects.classes[r]);
      if (new Set(classes).size !== classes.length) continue;
      for (const r of rows) {
        const bounds = { x0: 48, y0: 48, x1: -1, y1: -1 };
        for (let p = 0; p < 48 * 48; p++) {
          if (set.labels[i * 48 * 48 + p] !== objects.classes[r] + 1) continue;
          const [y, x] = [Math.floor(p / 48), p % 48];
          bounds.x0 = Math.min(bounds.x0, x);
          bounds.y0 = Math.min(bounds.y0, y);
          bounds.x1 = Math.max(bounds.x1, x + 1);
          bounds.y1 = Math.max(bounds.y1, y + 1);
        }
        expect(Array.from(objects.boxes.subarray(4 * r, 4 * r + 4))).toEqual([
          bounds.x0,
          bounds.y0,
          bounds.x1,
          bounds.y1,
        ]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('is deterministic for a seed, prefix-stable, and different for another seed', () => {
    const source = toySource();
    const a = generateScenes(source, { count: 10, seed: 7 });
    const b = generateScenes(source, { count: 10, seed: 7 });
    const prefix = generateScenes(source, { count: 4, seed: 7 });
    const other = generateScenes(source, { count: 10, seed: 8 });
    expect(same(b.images, a.images)).toBe(true);
    expect(same(b.labels, a.labels)).toBe(true);
    expect(b.boxes).toEqual(a.boxes);
    expect(same(prefix.images, a.images.subarray(0, 4 * 64 * 64))).toBe(true);
    expect(same(other.labels, a.labels)).toBe(false);
    const fixed = testScenes(source, { size: 32 });
    expect(fixed.count).toBe(TEST_SCENES.count);
    expect(same(fixed.labels, generateScenes(source, { ...TEST_SCENES, size: 32 }).labels)).toBe(true);
  });

  it('refuses bad options and sources with one clear line', () => {
    const source = toySource();
    expect(() => generateScenes(source, { garments: [3, 2] })).toThrow(PerturbError);
    expect(() => generateScenes(source, { scale: [0, 1] })).toThrow(/scale must be/);
    expect(() => generateScenes({ images: new Uint8Array(10), labels: [1] })).toThrow(
      /10 pixel bytes for 1 labels/,
    );
  });

  it('builds the embedded variant from the real Fashion-MNIST subset, as tensors', async () => {
    const train = await embeddedScenes({ count: 8 });
    const test = await embeddedScenes({ split: 'test', count: 8 });
    expect(train.classNames).toHaveLength(11);
    expect(train.classNames[1]).toBe('T-shirt/top');
    expect(same(train.labels, test.labels)).toBe(false);
    expect(Math.max(...train.labels)).toBeGreaterThan(0);
    const before = tf.memory().numTensors;
    const { images, labels } = sceneTensors(train, { start: 2, count: 3 });
    expect(images.shape).toEqual([3, 64, 64, 1]);
    expect(labels.shape).toEqual([3, 64, 64]);
    expect(Array.from(labels.dataSync())).toEqual(Array.from(train.labels.subarray(2 * 4096, 5 * 4096)));
    tf.dispose([images, labels]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => sceneTensors(train, { start: 6, count: 3 })).toThrow(/outside the set of 8/);
  });
});
