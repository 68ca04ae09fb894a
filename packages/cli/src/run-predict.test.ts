/** `perturb predict`: a trained run's model on one's own photos, for each task. */
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { PerturbError, asClassifier } from '@perturb/core';
import {
  type RgbImage,
  convertChannels,
  decodeLabelPng,
  decodePngImage,
  encodeGrayPng,
  encodeJpeg,
  encodeRgbPng,
  resizeImage,
  toBatch,
} from '@perturb/datasets';
import { resolveConfig } from './config';
import { type PredictResult, predictSummary, runPredict } from './run-predict';
import { loadSplit, runTrain } from './run-train';
import { loadModel, readRun } from './trained-run';
import { TINY_DEEPLAB, TINY_FASTER_RCNN } from './testing/tiny-models';

const temp = (name: string) => mkdtempSync(join(tmpdir(), `perturb-predict-${name}-`));

/** A photo of `height × width` whose colours vary by position (seeded by `seed`), so models see something. */
function photo(height: number, width: number, seed = 0): RgbImage {
  const data = Uint8Array.from({ length: height * width * 3 }, (_, i) => {
    const p = Math.floor(i / 3);
    return ((p % width) * 7 + Math.floor(p / width) * 13 + (i % 3) * 50 + seed * 31) % 256;
  });
  return { width, height, channels: 3, data };
}

/** {@link photo} in gray (three equal channels): resizing and then taking the luma is taking the luma and then resizing. */
function grayPhoto(height: number, width: number, seed = 0): RgbImage {
  const { data } = photo(height, width, seed);
  return { width, height, channels: 3, data: Uint8Array.from(data, (_, i) => data[i - (i % 3)]) };
}

/**
 * A 128×96 gray photo and, as a 64×64 photo, what a dense model sees of it (the whole photo
 * squeezed to the model's square): both give the model the same input.
 */
function photoAndModelView(seed: number): { large: RgbImage; seen: RgbImage } {
  const large = grayPhoto(96, 128, seed);
  const seen: RgbImage = {
    width: 64,
    height: 64,
    channels: 3,
    data: resizeImage(large.data, 96, 128, 3, 64),
  };
  return { large, seen };
}

/** Writes `bytes` to `dir/name` and returns the path. */
function put(dir: string, name: string, bytes: Uint8Array | string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), bytes);
  return join(dir, name);
}

/** Trains `settings` for a couple of steps into a fresh run folder and returns it. */
async function tinyRun(name: string, settings: Record<string, unknown>): Promise<string> {
  const run = join(temp(name), 'run');
  await runTrain(resolveConfig([{ batchSize: 2, steps: 2, out: run, ...settings }]), { progress: false });
  return run;
}

/** The task-specific side of a result (the test fails on another task's). */
function as<T extends PredictResult['task']>(
  result: PredictResult,
  task: T,
): Extract<PredictResult, { task: T }> {
  if (result.task !== task) throw new Error(`expected a ${task} result, got ${result.task}`);
  return result as Extract<PredictResult, { task: T }>;
}

describe('perturb predict with a classifier', () => {
  let gray: string;
  let rgb: string;

  beforeAll(async () => {
    // LeNet-5 on Fashion-MNIST (28×28 gray), and on a folder of RGB photos (28×28×3).
    gray = await tinyRun('gray', { model: 'lenet5', trainSize: 20, testSize: 10, seed: 1 });
    const photos = temp('folder');
    for (const split of ['train', 'test']) {
      ['ant', 'bee', 'cat'].forEach((name, c) =>
        [0, 1].forEach((n) =>
          put(join(photos, split, name), `${n}.png`, encodeRgbPng(photo(40, 32, 3 * c + n))),
        ),
      );
    }
    rgb = await tinyRun('rgb', {
      model: 'lenet5',
      dataset: 'image-folder',
      dataRoot: photos,
      datasetOptions: { size: 28 },
    });
  }, 60_000);

  it('lists each photo of a folder by name with its classes, skipping hidden and other files, repeatably and without leaks', async () => {
    const dir = temp('inputs');
    put(dir, 'b.jpg', encodeJpeg(photo(50, 60, 1)));
    put(dir, 'a.png', encodeRgbPng(photo(28, 28, 2)));
    put(dir, '.hidden.png', encodeRgbPng(photo(28, 28, 3)));
    put(dir, 'notes.txt', 'not a photo');
    put(join(dir, 'nested'), 'c.png', encodeRgbPng(photo(28, 28, 4)));
    const before = tf.memory().numTensors;
    const result = as(
      await runPredict({ run: gray, inputs: [dir], topK: 3, progress: false }),
      'classification',
    );
    expect(tf.memory().numTensors).toBe(before);
    expect(result.out).toBe(join(gray, 'predictions'));
    expect(result.predictions.map((p) => p.file)).toEqual([join(dir, 'a.png'), join(dir, 'b.jpg')]);
    const classes = JSON.parse(readFileSync(join(gray, 'result.json'), 'utf8')).data.classNames as string[];
    expect(classes).toHaveLength(10);
    for (const p of result.predictions) {
      expect(p.topK).toHaveLength(3);
      expect(p.topK[0]).toEqual({ class: p.class, className: p.className, probability: p.probability });
      expect(p.className).toBe(classes[p.class]);
      expect(p.topK[1].probability).toBeLessThanOrEqual(p.topK[0].probability);
      expect(p.probability).toBeGreaterThan(0.1 - 1e-6); // the best of 10 classes
    }
    expect(JSON.parse(readFileSync(result.file, 'utf8'))).toEqual(result);
    expect(readdirSync(result.out).sort()).toEqual(['predictions.json']);
    const again = await runPredict({
      run: gray,
      inputs: [dir],
      topK: 3,
      progress: false,
      out: temp('again'),
    });
    expect(as(again, 'classification').predictions).toEqual(result.predictions);
    expect(predictSummary(result)).toMatch(
      /a\.png: \S+ \(\d+\.\d%\)\n.*b\.jpg: .*\n→ .*predictions\.json\n$/,
    );
  });

  it('feeds an RGB photo to a gray model as its luma, and a gray PNG to an RGB model as three equal channels', async () => {
    const dir = temp('channels');
    const colour = photo(28, 28, 5);
    const luma = { width: 28, height: 28, data: convertChannels(colour.data, 1) };
    const probabilities = async (run: string, file: string) =>
      as(
        await runPredict({ run, inputs: [file], topK: 100, progress: false, out: temp('out') }),
        'classification',
      ).predictions[0].topK;
    expect(await probabilities(gray, put(dir, 'colour.png', encodeRgbPng(colour)))).toEqual(
      await probabilities(gray, put(dir, 'luma.png', encodeGrayPng(luma))),
    );
    const grayRgb = { ...colour, data: Uint8Array.from(colour.data, (_, i) => luma.data[Math.floor(i / 3)]) };
    const fromGray = await probabilities(rgb, join(dir, 'luma.png'));
    expect(fromGray.map((p) => p.className).sort()).toEqual(['ant', 'bee', 'cat']);
    expect(fromGray).toEqual(await probabilities(rgb, put(dir, 'gray-as-rgb.png', encodeRgbPng(grayRgb))));
  });

  it("predicts a padded dataset's own images as the run scored them: resized to their size, then padded alike", async () => {
    const trained = await readRun(gray);
    expect(trained.data?.unpadded).toEqual({ height: 28, width: 28 });
    const testSet = await loadSplit(trained.config, 'test', 3);
    const model = loadModel(trained, testSet);
    const batch = toBatch(testSet);
    const expected = tf.tidy(() =>
      tf.softmax(asClassifier(model, 'test').logits(batch.x, { training: false })).arraySync(),
    );
    tf.dispose([batch.x, batch.y]);
    model.dispose();
    // Each test image as the 28×28 photo it was before Fashion-MNIST's padding to 32×32.
    const dir = temp('fashion');
    const inputs = expected.map((_, n) => {
      const own = Uint8Array.from(
        { length: 28 * 28 },
        (_, p) => testSet.images[n * 1024 + (2 + Math.floor(p / 28)) * 32 + 2 + (p % 28)],
      );
      return put(dir, `${n}.png`, encodeGrayPng({ width: 28, height: 28, data: own }));
    });
    const result = as(
      await runPredict({ run: gray, inputs, topK: 10, progress: false, out: temp('out') }),
      'classification',
    );
    result.predictions.forEach((p, n) => {
      for (const { class: c, probability } of p.topK) expect(probability).toBeCloseTo(expected[n][c], 6);
    });
  });

  it('refuses bad inputs in one line and writes nothing', async () => {
    const dir = temp('bad');
    const good = put(dir, 'good.png', encodeRgbPng(photo(28, 28)));
    const out = join(dir, 'out');
    const refusal = (options: Partial<Parameters<typeof runPredict>[0]>) =>
      runPredict({ run: gray, inputs: [good], out, progress: false, ...options }).then(
        () => 'no error',
        (error: Error) =>
          error instanceof PerturbError ? error.message : `not a PerturbError: ${error.stack}`,
      );
    expect(await refusal({ inputs: [good, join(dir, 'missing.png')] })).toMatch(
      /missing\.png does not exist/,
    );
    put(dir, 'broken.png', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]));
    const broken = await refusal({ inputs: [good, join(dir, 'broken.png')] });
    expect(broken).toMatch(/broken\.png is not a readable PNG/);
    expect(broken.split('\n')).toHaveLength(1);
    expect(await refusal({ inputs: [good, put(dir, 'notes.txt', 'hello')] })).toMatch(
      /notes\.txt is neither a PNG nor a JPEG/,
    );
    mkdirSync(join(dir, 'empty'));
    expect(await refusal({ inputs: [join(dir, 'empty')] })).toMatch(
      /folder .*empty holds no \.png, \.jpg or \.jpeg images/,
    );
    expect(await refusal({ inputs: [] })).toMatch(/no images to predict/);
    expect(await refusal({ run: dir })).toMatch(/has no checkpoint/);
    expect(await refusal({ out: good })).toMatch(
      /--out .*good\.png is a file, but the outputs go into a folder/,
    );
    expect(await refusal({ topK: 0 })).toMatch(/topK/);
    // The damaged photo came after a good one: its folder was created, and holds nothing.
    expect(readdirSync(out)).toEqual([]);
  });
});

describe('perturb predict with a segmenter', () => {
  let run: string;

  beforeAll(async () => {
    run = await tinyRun('segmenter', {
      model: 'deeplabv3plus',
      modelOptions: TINY_DEEPLAB,
      dataset: 'fashion-mnist-scenes-small',
      trainSize: 4,
      testSize: 2,
    });
  }, 120_000);

  it("writes each photo's label map at the photo's own size, nearest-resized from the model's square", async () => {
    const dir = temp('scenes');
    const { large, seen } = photoAndModelView(7);
    const inputs = [put(dir, 'large.png', encodeRgbPng(large)), put(dir, 'seen.jpg', encodeRgbPng(seen))];
    const before = tf.memory().numTensors;
    const result = as(await runPredict({ run, inputs, progress: false }), 'segmentation');
    expect(tf.memory().numTensors).toBe(before);
    expect(result.classNames).toHaveLength(11);
    const [big, small] = result.predictions;
    expect([big.labels, big.width, big.height, small.labels]).toEqual(['large.png', 128, 96, 'seen.png']);
    const map = (name: string) => decodeLabelPng(readFileSync(join(result.out, name)));
    const bigMap = map(big.labels);
    const smallMap = map(small.labels);
    expect([bigMap.width, bigMap.height, smallMap.width, smallMap.height]).toEqual([128, 96, 64, 64]);
    // Each of the photo's pixels takes the class of the model pixel its centre falls in.
    for (const [x, y] of [
      [0, 0],
      [127, 95],
      [65, 40],
      [3, 77],
    ]) {
      const [u, v] = [Math.floor(((x + 0.5) * 64) / 128), Math.floor(((y + 0.5) * 64) / 96)];
      expect(bigMap.data[y * 128 + x]).toBe(smallMap.data[v * 64 + u]);
    }
    const shares = Object.values(big.fractions);
    expect(Object.keys(big.fractions)).toEqual(result.classNames);
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(predictSummary(result)).toMatch(/large\.png: .+ → large\.png\n/);
  });
});

describe('perturb predict with a detector', () => {
  let run: string;

  beforeAll(async () => {
    run = await tinyRun('detector', {
      model: 'fasterrcnn',
      modelOptions: TINY_FASTER_RCNN,
      dataset: 'fashion-mnist-scenes-small',
      trainSize: 4,
      testSize: 2,
    });
  }, 120_000);

  it("gives COCO detections in the photo's own pixels, and draws them on it", async () => {
    const dir = temp('detect');
    const { large, seen } = photoAndModelView(9);
    const inputs = [put(dir, 'large.png', encodeRgbPng(large)), put(dir, 'seen.png', encodeRgbPng(seen))];
    const before = tf.memory().numTensors;
    // Threshold 0: an untrained detector's scores are low, and every detection is wanted here.
    const result = as(await runPredict({ run, inputs, scoreThreshold: 0, progress: false }), 'detection');
    expect(tf.memory().numTensors).toBe(before);
    expect(result.images).toEqual([
      { id: 0, file: inputs[0], width: 128, height: 96, drawn: 'large.png' },
      { id: 1, file: inputs[1], width: 64, height: 64, drawn: 'seen.png' },
    ]);
    const of = (id: number) => result.detections.filter((d) => d.image_id === id);
    expect(of(0).length).toBeGreaterThan(0);
    expect(of(0)).toHaveLength(of(1).length);
    const classes = JSON.parse(readFileSync(join(run, 'result.json'), 'utf8')).data.boxes
      .classNames as string[];
    of(0).forEach((d, k) => {
      const twin = of(1)[k];
      expect(d.file_name).toBe(inputs[0]);
      expect(d.category).toBe(classes[d.category_id]);
      expect(d.score).toBe(twin.score);
      // The model's 64 pixels are 2 of the photo's across and 1.5 down.
      const scale = [2, 1.5, 2, 1.5];
      d.bbox.forEach((v, i) => expect(v).toBeCloseTo(twin.bbox[i] * scale[i], 3));
      expect(d.bbox[0] + d.bbox[2]).toBeLessThanOrEqual(128 + 1e-3);
    });
    const drawn = decodePngImage(readFileSync(join(result.out, 'large.png')));
    expect([drawn.width, drawn.height]).toEqual([128, 96]);
    expect(drawn.data).not.toEqual(large.data); // the boxes are on it
    expect(predictSummary(result)).toMatch(/large\.png: \d+ objects? \(.+\) → large\.png\n/);
    expect(
      as(
        await runPredict({ run, inputs, scoreThreshold: 1, progress: false, out: temp('none') }),
        'detection',
      ).detections,
    ).toEqual([]);
  });

  it('rebuilds a run whose result.json predates the recorded data from its test split', async () => {
    const old = join(temp('old'), 'run');
    cpSync(run, old, { recursive: true });
    const resultFile = join(old, 'result.json');
    const { data: _data, ...rest } = JSON.parse(readFileSync(resultFile, 'utf8'));
    writeFileSync(resultFile, JSON.stringify(rest));
    const inputs = [put(temp('photos'), 'p.png', encodeRgbPng(photo(64, 64, 4)))];
    const options = { inputs, scoreThreshold: 0, progress: false };
    const fresh = await runPredict({ run, ...options, out: temp('a') });
    const rebuilt = await runPredict({ run: old, ...options });
    expect(existsSync(join(old, 'predictions', 'predictions.json'))).toBe(true);
    expect(as(rebuilt, 'detection').detections).toEqual(as(fresh, 'detection').detections);
  });
});
