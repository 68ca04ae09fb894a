import * as tf from '@tensorflow/tfjs-core';
import { PerturbError, Rng, initBackend, models, parseOptions } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { fasterRcnnOptionsSchema } from './definitions';
import { FasterRcnn } from './faster-rcnn';
import { FASTER_RCNN_PRESETS } from './faster-rcnn-options';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

describe('the fasterrcnn model', () => {
  it('is registered, and its defaults fit 64×64 Fashion-MNIST scenes', () => {
    const definition = models.get('fasterrcnn');
    const model = definition.create(parseOptions(definition.schema, {}, 'fasterrcnn options'), {
      numClasses: 10,
      inputShape: [64, 64, 1],
      rng: new Rng(0),
    }) as FasterRcnn;
    expect(model).toBeInstanceOf(FasterRcnn);
    expect(model.sizeMultiple).toBe(32);
    const x = tf.zeros([1, 64, 64, 1]) as tf.Tensor4D;
    const out = model.logits(x, { training: false });
    // 3 anchors at 32², 16², 8², 4², 2² cells; 50 RoIs scored at inference.
    expect(out.rpn.anchors.shape).toEqual([3 * (1024 + 256 + 64 + 16 + 4), 4]);
    expect(out.rois.classLogits.shape).toEqual([1, 50, 11]);
    tf.dispose([x, out]);
    model.dispose();
  });

  it("has torchvision's fasterrcnn_resnet50_fpn sizes as a preset, under the options given", () => {
    const settings = parseOptions(
      fasterRcnnOptionsSchema,
      { preset: 'torchvision-resnet50-fpn', roiSamples: 256 },
      'fasterrcnn options',
    );
    expect(settings).toMatchObject({
      backbone: 'resnet50',
      width: 64,
      stem: 'imagenet',
      fpnChannels: 256,
      anchorSizes: [[32], [64], [128], [256], [512]],
      aspectRatios: [0.5, 1, 2],
      rpnPreNmsTopNTrain: 2000,
      rpnPostNmsTopNTest: 1000,
      representationSize: 1024,
      canonicalScale: 224,
      roiSamples: 256,
    });
  });

  it('has a tiny preset, laid under the options given over the defaults', () => {
    const tiny = parseOptions(fasterRcnnOptionsSchema, { preset: 'tiny', width: 8 }, 'fasterrcnn options');
    const defaults = parseOptions(fasterRcnnOptionsSchema, {}, 'fasterrcnn options');
    expect(tiny).toEqual({ ...defaults, ...FASTER_RCNN_PRESETS.tiny, preset: 'tiny', width: 8 });
    expect(tiny.blocks).toEqual([1, 1, 1, 1]);
    expect(tiny.roiSamples).toBeLessThan(defaults.roiSamples);
  });

  it('refuses a dataset whose image sides are not multiples of the coarsest stride, in one line', () => {
    const definition = models.get('fasterrcnn');
    const create = () =>
      definition.create(parseOptions(definition.schema, {}, 'fasterrcnn options'), {
        numClasses: 10,
        inputShape: [48, 48, 1],
        rng: new Rng(0),
      });
    expect(create).toThrow(PerturbError);
    expect(create).toThrow(/multiples of its coarsest pyramid stride 32, but the dataset's images are 48×48/);
  });
});
