import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend';
import { checkImageChannels, checkImageSides, siteIndex } from './sites';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

/** The message of what `run` throws, which must be one line. */
function refusal(run: () => void): string {
  try {
    run();
  } catch (error) {
    const message = (error as Error).message;
    expect(message.split('\n')).toHaveLength(1);
    return message;
  }
  throw new Error('nothing was thrown');
}

describe('feature sites', () => {
  it('finds a site in forward order, and names the sites a model has when it lacks one', () => {
    expect(siteIndex('Net', ['stem', 'layer1'], 'layer1')).toBe(1);
    expect(refusal(() => siteIndex('Net', ['stem', 'layer1'], 'layer9'))).toBe(
      `Net has no feature site "layer9". use one of 'stem', 'layer1'`,
    );
  });

  it('refuses images of other channels or rank, and sides that are not multiples of a stride', () => {
    const x = tf.zeros([1, 24, 16, 3]) as tf.Tensor4D;
    expect(() => checkImageChannels('Net', x, 3)).not.toThrow();
    expect(refusal(() => checkImageChannels('Net', x, 1))).toMatch(
      /^Net expects NHWC images with 1 channels but got shape \[1,24,16,3\]\. .*inChannels: 3$/,
    );
    expect(refusal(() => checkImageChannels('Net', tf.zeros([24, 16, 1]), 1))).toMatch(
      /got shape \[24,16,1\]/,
    );
    expect(() => checkImageSides('Net', x, 8)).not.toThrow();
    expect(refusal(() => checkImageSides('Net', x, 16, 'its stride'))).toBe(
      'Net needs image sides that are multiples of its stride 16, got 24×16. pad or crop the images to a multiple of 16',
    );
    tf.dispose(x);
  });
});
