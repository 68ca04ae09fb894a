import { Rng, initBackend, models, parseOptions } from '@perturb/core';
import { toBatch } from '@perturb/datasets';
import { openDataset } from '@perturb/datasets/node';
import { beforeAll, describe, expect, it } from 'vitest';
import './definitions';
import './dataset-definitions';
import { DEEPLAB_SITES } from './deeplab';
import { DEEPLAB_PRESETS, deeplabModelOptions } from './deeplab-options';

describe('registered segmentation model and datasets', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'cpu', log: false });
  });

  it('fashion-mnist-scenes-small loads splits whose batches carry label maps', async () => {
    const splits = await openDataset('fashion-mnist-scenes-small', { trainSize: 6, testSize: 4, size: 32 });
    const train = await splits.train();
    const test = await splits.test();
    expect(train.shape).toEqual({ height: 32, width: 32, channels: 1 });
    expect([train.labels.length, test.labels.length]).toEqual([6, 4]);
    expect(train.numClasses).toBe(11);
    const batch = toBatch(train, [0, 1]);
    expect(batch.labelMap!.classes.shape).toEqual([2, 32, 32]);
    expect(batch.labelMap!.ignoreIndex).toBe(255);
    const classes = Array.from(batch.labelMap!.classes.dataSync());
    expect(classes.some((c) => c > 0) && classes.every((c) => c <= 10)).toBe(true);
  });

  it('deeplabv3plus builds from a config with every site and refuses sides off its output stride', () => {
    const definition = models.get('deeplabv3plus');
    const options = parseOptions(definition.schema, { preset: 'tiny' }, 'test');
    const context = { numClasses: 11, inputShape: [32, 32, 1] as [number, number, number], rng: new Rng(0) };
    const model = definition.create(options, context);
    expect(model.sites).toEqual(DEEPLAB_SITES);
    expect(model.task?.kind).toBe('segmentation');
    model.dispose();
    expect(() => definition.create(options, { ...context, inputShape: [28, 28, 1] })).toThrow(
      /needs image sides that are multiples of it, but the dataset's images are 28×28/,
    );
  });

  it('deeplabv3plus lays a preset under the given options, and the defaults under both', () => {
    const tiny = parseOptions(deeplabModelOptions, { preset: 'tiny', width: 8 }, 'deeplabv3plus options');
    const defaults = parseOptions(deeplabModelOptions, {}, 'deeplabv3plus options');
    expect(defaults).toMatchObject({ backbone: 'resnet50', width: 64, stem: 'imagenet', outputStride: 16 });
    expect(tiny).toEqual({ ...defaults, ...DEEPLAB_PRESETS.tiny, preset: 'tiny', width: 8 });
    expect(() => parseOptions(deeplabModelOptions, { preset: 'tin' }, 'deeplabv3plus options')).toThrow(
      /tiny/,
    );
  });
});
