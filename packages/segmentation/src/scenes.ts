/**
 * Fashion-MNIST scenes: a segmentation (and detection) task built from real garments that runs
 * on a laptop. Each scene pastes k Fashion-MNIST images onto a blank canvas at seeded random
 * positions and scales; later garments cover earlier ones. A pixel is labelled with
 * `class + 1` of the garment that covers it — a garment covers the pixels where its own
 * (resized) intensity is above a threshold — and 0 where no garment does (background). Each
 * pasted garment that is still visible gets one tight box around its visible pixels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PerturbError, Rng } from '@perturb/core';
import type { ObjectBoxes } from '@perturb/datasets';

/**
 * Grayscale images and their class labels, e.g. a `Dataset` of `@perturb/datasets`
 * (`loadDataset('fashion-mnist', …)`) or any `count × height × width` byte array.
 */
export interface GarmentSource {
  /** Pixels 0..255, `count × height × width` (one channel). */
  readonly images: Uint8Array;
  /** Class of each image, `0..numClasses-1`. */
  readonly labels: ArrayLike<number>;
  /** Image size. Default 28×28×1 (Fashion-MNIST). */
  readonly shape?: { readonly height: number; readonly width: number; readonly channels?: number };
  /** Number of garment classes. Default: the largest label + 1. */
  readonly numClasses?: number;
  /** A name per garment class. */
  readonly classNames?: readonly string[];
}

/** How scenes are drawn. Every option is optional. */
export interface SceneOptions {
  /** Number of scenes. Default 1000. */
  count?: number;
  /** Seed of the scene stream; scene `i` depends only on the seed and `i`. Default 0. */
  seed?: number;
  /** Canvas side in pixels (square). Default 64. */
  size?: number;
  /** Garments per scene, drawn uniformly from `[min, max]`. Default `[2, 4]`. */
  garments?: number | readonly [number, number];
  /** Garment side as a multiple of its source size, uniform in `[min, max]`. Default `[0.75, 1.5]`. */
  scale?: readonly [number, number];
  /** A garment covers a pixel where its own resized intensity exceeds this (0..255). Default 25. */
  threshold?: number;
}

/**
 * A tight box around one garment's visible pixels, in canvas pixels. An occluded garment's box
 * bounds the part still visible (as COCO's boxes bound the visible object), and a garment
 * covered entirely gets none.
 */
export interface SceneBox {
  /** Left column and top row of the box (inclusive). */
  x: number;
  y: number;
  /** Box width and height in pixels (`right − x + 1`, `bottom − y + 1`). */
  width: number;
  height: number;
  /** Garment class (`0..numClasses-1`; the label map holds `label + 1`). */
  label: number;
  /** Index of the garment image in the source. */
  source: number;
  /** Pixels of the canvas this garment is visible in. */
  visiblePixels: number;
}

/** A set of scenes: images, label maps and boxes. */
export interface SceneSet {
  /** Canvas pixels 0..255, `count × size × size`. */
  readonly images: Uint8Array;
  /** Per-pixel class ids, `count × size × size`: 0 = background, `c + 1` = garment class c. */
  readonly labels: Uint8Array;
  /** The visible garments of each scene, in pasting order. */
  readonly boxes: readonly (readonly SceneBox[])[];
  readonly count: number;
  readonly size: number;
  /** Segmentation classes: background + the garment classes. */
  readonly numClasses: number;
  /** `'background'` then the garment class names. */
  readonly classNames: readonly string[];
}

/** Seed and size of the fixed test set ({@link testScenes}). */
export const TEST_SCENES = { seed: 18_001, count: 1000 } as const;

interface Resolved {
  count: number;
  seed: number;
  size: number;
  garments: [number, number];
  scale: [number, number];
  threshold: number;
}

function fail(problem: string, fix: string): never {
  throw new PerturbError(problem, fix);
}

function resolve(options: SceneOptions): Resolved {
  const count = options.count ?? 1000;
  const seed = options.seed ?? 0;
  const size = options.size ?? 64;
  const g = options.garments ?? [2, 4];
  const garments: [number, number] = typeof g === 'number' ? [g, g] : [g[0], g[1]];
  const scale: [number, number] = options.scale ? [options.scale[0], options.scale[1]] : [0.75, 1.5];
  const threshold = options.threshold ?? 25;
  if (!Number.isInteger(count) || count < 0)
    fail(`count must be a whole number ≥ 0, got ${count}`, 'pass e.g. { count: 1000 }');
  if (!Number.isInteger(seed)) fail(`seed must be an integer, got ${seed}`, 'pass e.g. { seed: 0 }');
  if (!Number.isInteger(size) || size < 1)
    fail(`size must be a positive integer, got ${size}`, 'pass e.g. { size: 64 }');
  if (!garments.every(Number.isInteger) || garments[0] < 1 || garments[1] < garments[0]) {
    fail(
      `garments must be an integer ≥ 1 or [min, max] with min ≤ max, got ${JSON.stringify(g)}`,
      'pass e.g. { garments: [2, 4] }',
    );
  }
  if (!(scale[0] > 0 && scale[1] >= scale[0])) {
    fail(
      `scale must be [min, max] with 0 < min ≤ max, got ${JSON.stringify(options.scale)}`,
      'pass e.g. { scale: [0.75, 1.5] }',
    );
  }
  if (!(threshold >= 0 && threshold < 255))
    fail(`threshold must be in 0..254, got ${threshold}`, 'pass e.g. { threshold: 25 }');
  return { count, seed, size, garments, scale, threshold };
}

/** Bilinear resize (half-pixel centres, edge clamp) of one `h × w` byte image to `side × side`. */
function resize(src: Uint8Array, offset: number, h: number, w: number, side: number): Float32Array {
  const out = new Float32Array(side * side);
  for (let r = 0; r < side; r++) {
    const sy = Math.min(Math.max(((r + 0.5) * h) / side - 0.5, 0), h - 1);
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, h - 1);
    const fy = sy - y0;
    for (let c = 0; c < side; c++) {
      const sx = Math.min(Math.max(((c + 0.5) * w) / side - 0.5, 0), w - 1);
      const x0 = Math.floor(sx);
      const x1 = Math.min(x0 + 1, w - 1);
      const fx = sx - x0;
      const top = src[offset + y0 * w + x0] * (1 - fx) + src[offset + y0 * w + x1] * fx;
      const bottom = src[offset + y1 * w + x0] * (1 - fx) + src[offset + y1 * w + x1] * fx;
      out[r * side + c] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

function sourceGeometry(source: GarmentSource): { h: number; w: number; count: number; numClasses: number } {
  const h = source.shape?.height ?? 28;
  const w = source.shape?.width ?? 28;
  const channels = source.shape?.channels ?? 1;
  if (channels !== 1) {
    fail(
      `garment images must have one channel, got ${channels}`,
      'pass grayscale images such as Fashion-MNIST',
    );
  }
  const count = source.labels.length;
  if (count === 0) fail('the garment source has no images', 'pass a dataset with at least one image');
  if (source.images.length !== count * h * w) {
    fail(
      `the garment source has ${source.images.length} pixel bytes for ${count} labels of ${h}×${w} images`,
      'pass images as count × height × width bytes with one label per image (unpadded Fashion-MNIST is 28×28)',
    );
  }
  let maxLabel = 0;
  for (let i = 0; i < count; i++) maxLabel = Math.max(maxLabel, source.labels[i]);
  const numClasses = source.numClasses ?? maxLabel + 1;
  if (numClasses + 1 > 255)
    fail(`${numClasses} garment classes do not fit byte label maps`, 'use at most 254 classes');
  return { h, w, count, numClasses };
}

/**
 * Draws one scene into `image`/`labels` (each `size²`, starting at `at`) and returns its boxes.
 * Later garments are pasted over earlier ones; a garment whose pixels end up fully covered
 * gets no box.
 */
function drawScene(
  rng: Rng,
  source: GarmentSource,
  geometry: { h: number; w: number; count: number },
  o: Resolved,
  image: Uint8Array,
  labels: Uint8Array,
  at: number,
): SceneBox[] {
  const { size } = o;
  const k = o.garments[0] + rng.int(o.garments[1] - o.garments[0] + 1);
  const owner = new Int16Array(size * size).fill(-1);
  const pasted: Array<{ label: number; source: number }> = [];
  for (let g = 0; g < k; g++) {
    const index = rng.int(geometry.count);
    const scale = rng.uniform(o.scale[0], o.scale[1]);
    const side = Math.max(1, Math.min(size, Math.round(Math.max(geometry.h, geometry.w) * scale)));
    const top = rng.int(size - side + 1);
    const left = rng.int(size - side + 1);
    const label = source.labels[index];
    const pixels = resize(source.images, index * geometry.h * geometry.w, geometry.h, geometry.w, side);
    for (let r = 0; r < side; r++) {
      for (let c = 0; c < side; c++) {
        const v = pixels[r * side + c];
        if (v <= o.threshold) continue;
        const p = (top + r) * size + left + c;
        image[at + p] = Math.round(v);
        labels[at + p] = label + 1;
        owner[p] = g;
      }
    }
    pasted.push({ label, source: index });
  }
  const bounds = pasted.map(() => ({ x0: size, y0: size, x1: -1, y1: -1, n: 0 }));
  for (let p = 0; p < size * size; p++) {
    const g = owner[p];
    if (g < 0) continue;
    const b = bounds[g];
    const y = Math.floor(p / size);
    const x = p % size;
    b.x0 = Math.min(b.x0, x);
    b.x1 = Math.max(b.x1, x);
    b.y0 = Math.min(b.y0, y);
    b.y1 = Math.max(b.y1, y);
    b.n++;
  }
  const boxes: SceneBox[] = [];
  pasted.forEach((garment, g) => {
    const b = bounds[g];
    if (b.n === 0) return;
    boxes.push({
      x: b.x0,
      y: b.y0,
      width: b.x1 - b.x0 + 1,
      height: b.y1 - b.y0 + 1,
      label: garment.label,
      source: garment.source,
      visiblePixels: b.n,
    });
  });
  return boxes;
}

/**
 * Generates `count` scenes from `source` (deterministic for a seed: scene `i` draws from its own
 * child stream of `new Rng(seed)`, so a longer set starts with the shorter one's scenes).
 */
export function generateScenes(source: GarmentSource, options: SceneOptions = {}): SceneSet {
  const o = resolve(options);
  const geometry = sourceGeometry(source);
  const area = o.size * o.size;
  const images = new Uint8Array(o.count * area);
  const labels = new Uint8Array(o.count * area);
  const boxes: SceneBox[][] = [];
  const root = new Rng(o.seed);
  for (let i = 0; i < o.count; i++) {
    boxes.push(drawScene(root.child(`scene-${i}`), source, geometry, o, images, labels, i * area));
  }
  const garmentNames =
    source.classNames && source.classNames.length >= geometry.numClasses
      ? source.classNames.slice(0, geometry.numClasses)
      : Array.from({ length: geometry.numClasses }, (_, c) => `class ${c}`);
  return {
    images,
    labels,
    boxes,
    count: o.count,
    size: o.size,
    numClasses: geometry.numClasses + 1,
    classNames: ['background', ...garmentNames],
  };
}

/**
 * The fixed test set: {@link TEST_SCENES}' seed and count drawn from `source` (pass the
 * garments' *test* split, so no training garment appears). Other options as in
 * {@link generateScenes}, except `seed` and `count`.
 */
export function testScenes(
  source: GarmentSource,
  options: Omit<SceneOptions, 'seed' | 'count'> = {},
): SceneSet {
  return generateScenes(source, { ...options, seed: TEST_SCENES.seed, count: TEST_SCENES.count });
}

/** Scenes `start..start+count-1` as tensors: images `[n, size, size, 1]` in 0..1, labels `[n, size, size]` int32. */
export function sceneTensors(
  scenes: SceneSet,
  range: { start?: number; count?: number } = {},
): { images: tf.Tensor4D; labels: tf.Tensor3D } {
  const start = range.start ?? 0;
  const count = range.count ?? scenes.count - start;
  if (!(
    Number.isInteger(start) &&
    Number.isInteger(count) &&
    start >= 0 &&
    count >= 0 &&
    start + count <= scenes.count
  )) {
    fail(
      `scenes ${start}..${start + count - 1} are outside the set of ${scenes.count}`,
      `pass a range within 0..${scenes.count - 1}`,
    );
  }
  const area = scenes.size * scenes.size;
  const bytes = scenes.images.subarray(start * area, (start + count) * area);
  const pixels = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) pixels[i] = bytes[i] / 255;
  const labels = Int32Array.from(scenes.labels.subarray(start * area, (start + count) * area));
  return {
    images: tf.tensor4d(pixels, [count, scenes.size, scenes.size, 1]),
    labels: tf.tensor3d(labels, [count, scenes.size, scenes.size], 'int32'),
  };
}

/**
 * The scenes' boxes as a detection dataset's objects (`Dataset.boxes` of `@perturb/datasets`):
 * (x1, y1, x2, y2) with exclusive right and bottom edges (a box covering columns 3..10 is
 * x1 = 3, x2 = 11), class ids over the garment classes (no background).
 */
export function sceneObjects(scenes: SceneSet): ObjectBoxes {
  const all = scenes.boxes.flat();
  const offsets = new Int32Array(scenes.count + 1);
  scenes.boxes.forEach((boxes, i) => (offsets[i + 1] = offsets[i] + boxes.length));
  return {
    classNames: scenes.classNames.slice(1),
    offsets,
    boxes: Float32Array.from(all.flatMap((b) => [b.x, b.y, b.x + b.width, b.y + b.height])),
    classes: Int32Array.from(all, (b) => b.label),
  };
}
