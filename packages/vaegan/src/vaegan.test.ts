import * as tf from '@tensorflow/tfjs-core';
import { PerturbError, Rng, initBackend } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyVaeGan, values } from './test-support';
import { STUTZ_BETA, VaeGan } from './vaegan';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

describe('VaeGan', () => {
  it('encodes to [N, latent] and decodes, reconstructs and samples images in (0, 1)', () => {
    const model = tinyVaeGan();
    const x = new Rng(1).uniformTensor([3, 8, 8, 1]) as tf.Tensor4D;
    const { mean, logVar } = model.encode(x);
    expect(mean.shape).toEqual([3, 4]);
    expect(logVar.shape).toEqual([3, 4]);
    for (const images of [model.decode(mean), model.reconstruct(x), model.sample(5, new Rng(2))]) {
      expect(images.shape.slice(1)).toEqual([8, 8, 1]);
      const v = values(images);
      expect(Math.min(...v)).toBeGreaterThan(0);
      expect(Math.max(...v)).toBeLessThan(1);
    }
    expect(model.discriminate(x).shape).toEqual([3]);
    expect(values(model.sample(2, new Rng(3)))).toEqual(values(model.sample(2, new Rng(3))));
  });

  it("defaults to Stutz et al.'s latent size 10, β = 2.75, γ = 1, 64 channels and L1 reconstruction, and splits its parameters into three groups", () => {
    const model = new VaeGan({ imageShape: [28, 28, 1] });
    expect(model.config).toMatchObject({
      latentSize: 10,
      beta: STUTZ_BETA.classSpecific,
      gamma: 1,
      widths: [64, 128],
      reconstruction: 'absolute',
    });
    const total =
      model.encoder.numParameters() + model.decoder.numParameters() + model.discriminator.numParameters();
    expect(total).toBe(model.numParameters());
    model.dispose();
  });

  it('clips codes to the stored range, and leaves them alone before one is set', () => {
    const model = tinyVaeGan();
    const z = tf.tensor2d([[-5, 0.5, 5, 0]]);
    expect(values(model.clipToCodeRange(z))).toEqual([-5, 0.5, 5, 0]);
    model.setCodeRange([-1, -1, -1, 1], [1, 1, 1, 2]);
    expect(values(model.clipToCodeRange(z))).toEqual([-1, 0.5, 1, 1]);
    expect(Array.from(model.codeRange().max)).toEqual([1, 1, 1, 2]);
  });

  it('rejects image sides that the stages cannot halve, and bad weights', () => {
    expect(() => new VaeGan({ imageShape: [28, 28, 1], widths: [8, 8, 8] })).toThrow(PerturbError);
    expect(() => new VaeGan({ imageShape: [8, 8, 1], beta: -1 })).toThrow(/beta/);
  });
});
