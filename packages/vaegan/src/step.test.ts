/**
 * Each loss term of `vaeGanStep` against a hand computation: a 2×2 image model whose convs
 * have equal weights everywhere, so each network reduces to a few scalar formulas.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng, assertNoTensorLeak, initBackend } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ReconstructionKind } from './losses';
import { createOptimizer } from '@perturb/optim';
import { PARAMETER_GROUPS, type VaeGanOptimizers, createVaeGanOptimizers, vaeGanStep } from './step';
import { VaeGan } from './vaegan';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const softplus = (v: number) => Math.log1p(Math.exp(v));
const relu = (v: number) => Math.max(v, 0);
const leaky = (v: number) => (v > 0 ? v : 0.2 * v);
const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Two 2×2×1 images, row-major. */
const IMAGES = [
  [0.1, 0.9, 0.4, 0.3],
  [0.8, 0.2, 0.0, 1.0],
];

/**
 * Every weight of a conv is one number c, and a 3×3 "same" window on a 2×2 image covers all
 * four pixels, so each conv output is c·Σ(inputs) + b. The log-variance is kept near −30 so
 * that z = μ up to ~1e-7 whatever the noise.
 */
const WEIGHTS: Record<string, number | number[]> = {
  'encoder.convs.0.weight': 0.5,
  'encoder.convs.0.bias': 0.1,
  'encoder.head.weight': [1.2, 2],
  'encoder.head.bias': [-0.5, -30],
  'decoder.project.weight': 0.8,
  'decoder.project.bias': -0.2,
  'decoder.up0.weight': 0.3,
  'decoder.up0.bias': 0.05,
  'decoder.output.weight': -0.7,
  'decoder.output.bias': 0.4,
  'discriminator.convs.0.weight': 0.6,
  'discriminator.convs.0.bias': -0.5,
  'discriminator.head.weight': 1.5,
  'discriminator.head.bias': 0.2,
};

function handModel(beta: number, gamma: number, reconstruction: ReconstructionKind): VaeGan {
  const model = new VaeGan({
    imageShape: [2, 2, 1],
    latentSize: 1,
    widths: [1],
    beta,
    gamma,
    reconstruction,
    // The hand computation has no BatchNorm (it would only rescale the one hidden channel).
    batchNorm: false,
  });
  const parameters = model.namedParameters();
  expect(parameters.map(([name]) => name).sort()).toEqual(Object.keys(WEIGHTS).sort());
  for (const [name, variable] of parameters) {
    const value = WEIGHTS[name];
    tf.tidy(() =>
      variable.assign(
        typeof value === 'number' ? tf.fill(variable.shape, value) : tf.tensor(value, variable.shape),
      ),
    );
  }
  return model;
}

/** The losses of the official train_vae_gan2.py for WEIGHTS and IMAGES, written out by hand. */
function expectedLosses(beta: number, gamma: number, kind: ReconstructionKind) {
  const discriminate = (pixelSum: number) => 1.5 * leaky(0.6 * pixelSum - 0.5) + 0.2;
  const perImage = IMAGES.map((x) => {
    const feature = relu(0.5 * x.reduce((a, b) => a + b) + 0.1);
    const mean = 1.2 * feature - 0.5;
    const logVar = 2 * feature - 30;
    const h = relu(0.8 * mean - 0.2);
    const up = relu(0.3 * 4 * h + 0.05);
    const out = sigmoid(-0.7 * 4 * up + 0.4);
    const error = (p: number) => (kind === 'absolute' ? Math.abs(p - out) : (p - out) ** 2);
    return {
      reconstruction: x.map(error).reduce((a, b) => a + b),
      kl: 0.5 * (mean ** 2 + Math.exp(logVar) - logVar - 1),
      fool: softplus(-discriminate(4 * out)),
      discriminator: softplus(-discriminate(x.reduce((a, b) => a + b))) + softplus(discriminate(4 * out)),
    };
  });
  const reconstruction = meanOf(perImage.map((p) => p.reconstruction));
  const kl = meanOf(perImage.map((p) => p.kl));
  const fool = meanOf(perImage.map((p) => p.fool));
  return {
    reconstruction,
    kl,
    fool,
    vae: kl + beta * reconstruction + gamma * fool,
    generator: beta * reconstruction + gamma * fool,
    discriminator: gamma * meanOf(perImage.map((p) => p.discriminator)),
  };
}

describe('vaeGanStep loss terms', () => {
  for (const kind of ['absolute', 'squared'] as const) {
    it(`match a hand computation (β on the ${kind} reconstruction, KL weight 1, γ on every GAN term)`, async () => {
      const [beta, gamma] = [2.75, 0.5];
      const model = handModel(beta, gamma, kind);
      const optimizers = createVaeGanOptimizers(model);
      const x = tf.tensor4d(IMAGES.flat(), [2, 2, 2, 1]);
      const losses = vaeGanStep(model, optimizers, x, new Rng(0), 1e-3);
      const expected = expectedLosses(beta, gamma, kind);
      for (const [term, value] of Object.entries(expected)) {
        expect(losses[term as keyof typeof losses], term).toBeCloseTo(value, 4);
      }
      // Later steps (with moved weights) leave no tensor behind.
      await assertNoTensorLeak(() => vaeGanStep(model, optimizers, x, new Rng(0), 1e-3));
      x.dispose();
      for (const optimizer of Object.values(optimizers)) optimizer.dispose();
      model.dispose();
    });
  }
});

describe('vaeGanStep gradients', () => {
  /** The change of every encoder parameter after one plain SGD step (lr 1) with weight γ. */
  function encoderChange(gamma: number): number[] {
    const model = handModel(2.75, gamma, 'absolute');
    const before = model.encoder.parameters().flatMap((p) => Array.from(p.dataSync()));
    const sgd = Object.fromEntries(
      PARAMETER_GROUPS.map((g) => [g, createOptimizer({ name: 'sgd' }, model[g].namedParameters())]),
    ) as VaeGanOptimizers;
    const x = tf.tensor4d(IMAGES.flat(), [2, 2, 2, 1]);
    vaeGanStep(model, sgd, x, new Rng(0), 1);
    const after = model.encoder.parameters().flatMap((p) => Array.from(p.dataSync()));
    x.dispose();
    for (const optimizer of Object.values(sgd)) optimizer.dispose();
    model.dispose();
    return after.map((v, i) => v - before[i]);
  }

  it('give the encoder the GAN term through the decoder, as the official code does', () => {
    const withGan = encoderChange(0.5);
    const withoutGan = encoderChange(0);
    const largest = Math.max(...withGan.map((v, i) => Math.abs(v - withoutGan[i])));
    expect(largest).toBeGreaterThan(1e-3);
  });
});
