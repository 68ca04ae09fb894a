import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  PerturbError,
  Rng,
  assertNoTensorLeak,
  crossEntropy,
  decodeSafetensors,
  encodeSafetensors,
  initBackend,
} from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromLayersModel, type LayersClassifier } from './layers-model';

const SHAPE = [6, 6, 2];

/** conv → BN → relu → conv → BN → relu → pool → flatten → dense, as a Sequential. */
function sequentialNet(name: string): tfl.LayersModel {
  return tfl.sequential({
    name,
    layers: [
      tfl.layers.conv2d({
        name: 'conv1',
        inputShape: SHAPE,
        filters: 4,
        kernelSize: 3,
        padding: 'same',
        useBias: false,
      }),
      tfl.layers.batchNormalization({ name: 'bn1' }),
      tfl.layers.activation({ name: 'relu1', activation: 'relu' }),
      tfl.layers.conv2d({ name: 'conv2', filters: 4, kernelSize: 3, padding: 'same', useBias: false }),
      tfl.layers.batchNormalization({ name: 'bn2' }),
      tfl.layers.activation({ name: 'relu2', activation: 'relu' }),
      tfl.layers.maxPooling2d({ name: 'pool', poolSize: 2 }),
      tfl.layers.flatten({ name: 'flatten' }),
      tfl.layers.dense({ name: 'logits', units: 3 }),
    ],
  });
}

/** The same chain written functionally, with a residual add around conv2/bn2 and a final softmax. */
function functionalNet(name: string): tfl.LayersModel {
  const input = tfl.input({ shape: SHAPE, name: 'image' });
  const conv1 = tfl.layers.conv2d({ name: 'conv1', filters: 4, kernelSize: 3, padding: 'same' }).apply(input);
  const bn1 = tfl.layers.batchNormalization({ name: 'bn1' }).apply(conv1);
  const relu1 = tfl.layers.activation({ name: 'relu1', activation: 'relu' }).apply(bn1);
  const conv2 = tfl.layers.conv2d({ name: 'conv2', filters: 4, kernelSize: 3, padding: 'same' }).apply(relu1);
  const bn2 = tfl.layers.batchNormalization({ name: 'bn2' }).apply(conv2);
  const sum = tfl.layers.add({ name: 'add' }).apply([relu1, bn2] as tfl.SymbolicTensor[]);
  const pool = tfl.layers.averagePooling2d({ name: 'pool', poolSize: 2 }).apply(sum);
  const flat = tfl.layers.flatten({ name: 'flatten' }).apply(pool);
  const dense = tfl.layers.dense({ name: 'dense', units: 3 }).apply(flat);
  const probabilities = tfl.layers.softmax({ name: 'probabilities' }).apply(dense) as tfl.SymbolicTensor;
  return tfl.model({ name, inputs: input, outputs: probabilities });
}

/** Seeded weights (tfjs-layers' initializers draw from an unseeded stream). */
function seedWeights(classifier: LayersClassifier, seed: number): void {
  const rng = new Rng(seed);
  const state = Object.fromEntries(
    classifier.namedParameters().map(([name, v]) => [name, rng.child(name).normalTensor(v.shape, 0, 0.4)]),
  );
  classifier.loadStateDict(state, { strict: false });
  tf.dispose(Object.values(state));
}

function images(seed: number, n = 5): tf.Tensor4D {
  return new Rng(seed).uniformTensor([n, ...SHAPE]) as tf.Tensor4D;
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

function clones(classifier: LayersClassifier): Record<string, tf.Tensor> {
  return Object.fromEntries(Object.entries(classifier.stateDict()).map(([k, v]) => [k, tf.clone(v)]));
}

const MODELS = [
  {
    kind: 'Sequential',
    build: sequentialNet,
    sites: ['conv1', 'bn1', 'relu1', 'conv2', 'bn2', 'relu2', 'pool'],
  },
  { kind: 'functional', build: functionalNet, sites: ['conv1', 'bn1', 'relu1', 'add', 'pool'] },
];

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

describe.each(MODELS)('fromLayersModel on a $kind model', ({ build, sites, kind }) => {
  it('exposes trainable weights as parameters and moving statistics as buffers, by Keras name', () => {
    const classifier = fromLayersModel(build(`${kind}-names`), { sites });
    expect(classifier.namedParameters().map(([n]) => n)).toContain('conv1.kernel');
    expect(classifier.namedParameters().map(([n]) => n)).toContain('bn1.gamma');
    expect(classifier.namedBuffers().map(([n]) => n)).toEqual([
      'bn1.moving_mean',
      'bn1.moving_variance',
      'bn2.moving_mean',
      'bn2.moving_variance',
    ]);
    // The very variables the model computes with, so an optimizer updates the model itself.
    expect(classifier.parameters()[0]).toBe(classifier.model.trainableWeights[0].read());
    expect(classifier.numClasses).toBe(3);
    expect(classifier.sites).toEqual(sites);
    classifier.dispose();
  });

  it('logits equal the model’s own prediction (before any softmax) in eval mode', () => {
    const classifier = fromLayersModel(build(`${kind}-predict`), { sites });
    seedWeights(classifier, 1);
    const x = images(2);
    const logits = classifier.logits(x, { training: false });
    const predicted = classifier.model.predict(x) as tf.Tensor;
    const expected = kind === 'functional' ? tf.softmax(logits) : tf.clone(logits);
    expect(logits.shape).toEqual([5, 3]);
    expect(maxAbsDiff(expected, predicted)).toBeLessThan(1e-6);
    tf.dispose([x, logits, predicted, expected]);
    classifier.dispose();
  });

  it('tail(head(x, s), s) equals logits(x) at every site, in eval and in training mode', () => {
    const classifier = fromLayersModel(build(`${kind}-split`), { sites });
    seedWeights(classifier, 3);
    const x = images(4);
    for (const training of [false, true]) {
      const whole = classifier.logits(x, { training });
      for (const site of sites) {
        const features = classifier.head(x, site, { training });
        expect(features.rank).toBe(4);
        const split = classifier.tail(features, site, { training });
        expect(maxAbsDiff(split, whole)).toBeLessThan(1e-5);
        tf.dispose([features, split]);
      }
      whole.dispose();
    }
    x.dispose();
    classifier.dispose();
  });

  it('training mode updates the moving statistics exactly as model.fit does; eval mode leaves them', async () => {
    const ours = fromLayersModel(build(`${kind}-bn-ours`), { sites });
    const theirs = fromLayersModel(build(`${kind}-bn-fit`), { sites });
    seedWeights(ours, 5);
    const initial = clones(ours);
    theirs.loadStateDict(initial);
    const x = images(6, 8);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32'), 3);

    tf.dispose(ours.logits(x, { training: false }));
    expect(maxAbsDiff(ours.stateDict()['bn1.moving_mean'], initial['bn1.moving_mean'])).toBe(0);

    tf.dispose(ours.logits(x, { training: true }));
    // A learning rate of 0 leaves the weights, so only the BatchNorm updates of fit's forward pass remain.
    theirs.model.compile({ optimizer: tf.train.sgd(0), loss: 'categoricalCrossentropy' });
    await theirs.model.fit(x, y, { batchSize: 8, epochs: 1, shuffle: false, verbose: 0 });
    for (const [name] of ours.namedBuffers()) {
      expect(maxAbsDiff(ours.stateDict()[name], initial[name]), name).toBeGreaterThan(1e-4);
      expect(maxAbsDiff(ours.stateDict()[name], theirs.stateDict()[name]), name).toBeLessThan(1e-6);
    }
    tf.dispose([x, y, ...Object.values(initial)]);
    ours.dispose();
    theirs.dispose();
  });

  it('a training step with gradients at a site leaks no tensor', async () => {
    const classifier = fromLayersModel(build(`${kind}-leaks`), { sites });
    const x = images(7);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1], 'int32'), 3) as tf.Tensor2D;
    const site = sites[2];
    await assertNoTensorLeak(() =>
      tf.tidy(() => {
        const features = classifier.head(x, site, { training: true });
        const { grads } = tf.variableGrads(
          () => crossEntropy(classifier.tail(features, site, { training: true }), y),
          classifier.parameters(),
        );
        expect(Object.keys(grads).length).toBeGreaterThan(0);
      }),
    );
    tf.dispose([x, y]);
    classifier.dispose();
  });

  it('saves through tf.io with model.save; tf.loadLayersModel gives identical logits and statistics', async () => {
    const classifier = fromLayersModel(build(`${kind}-save`), { sites });
    seedWeights(classifier, 8);
    const x = images(9);
    tf.dispose(classifier.logits(x, { training: true })); // moves the BatchNorm statistics
    let artifacts: tf.io.ModelArtifacts | undefined;
    await classifier.model.save(
      tf.io.withSaveHandler(async (saved) => {
        artifacts = saved;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const loaded = fromLayersModel(
      await tfl.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts)),
      {
        sites,
      },
    );
    const before = classifier.logits(x, { training: false });
    const after = loaded.logits(x, { training: false });
    expect(maxAbsDiff(before, after)).toBe(0);
    for (const [name, value] of Object.entries(classifier.stateDict())) {
      expect(maxAbsDiff(value, loaded.stateDict()[name]), name).toBe(0);
    }
    tf.dispose([x, before, after]);
    classifier.dispose();
    loaded.dispose();
  });

  it('round-trips through perturb’s safetensors state dicts', () => {
    const a = fromLayersModel(build(`${kind}-st-a`), { sites });
    const b = fromLayersModel(build(`${kind}-st-b`), { sites });
    seedWeights(a, 10);
    const decoded = decodeSafetensors(encodeSafetensors(a.stateDict()));
    b.loadStateDict(decoded.tensors);
    const x = images(11);
    const [la, lb] = [a.logits(x, { training: false }), b.logits(x, { training: false })];
    expect(maxAbsDiff(la, lb)).toBe(0);
    tf.dispose([x, la, lb, ...Object.values(decoded.tensors)]);
    a.dispose();
    b.dispose();
  });
});

describe('fromLayersModel refuses what it cannot split, in one line naming the fix', () => {
  function message(run: () => unknown): string {
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(PerturbError);
      const text = (error as Error).message;
      expect(text).not.toContain('\n');
      return text;
    }
    throw new Error('expected a PerturbError');
  }

  it('an unknown site, listing the layers', () => {
    const model = sequentialNet('unknown-site');
    expect(message(() => fromLayersModel(model, { sites: ['conv3'] }))).toMatch(
      /no layer "conv3".*use one of its layers: conv1, bn1, relu1, conv2, bn2, relu2, pool, flatten, logits/,
    );
    model.dispose();
  });

  it('a site whose output is not a 4-D feature map', () => {
    const model = sequentialNet('flat-site');
    expect(message(() => fromLayersModel(model, { sites: ['flatten'] }))).toMatch(
      /"flatten" outputs shape \[batch,36\], not a 4-D feature map.*conv1, bn1, relu1, conv2, bn2, relu2, pool$/,
    );
    model.dispose();
  });

  it('a site a skip connection crosses', () => {
    const model = functionalNet('skip-site');
    for (const site of ['conv2', 'bn2']) {
      expect(message(() => fromLayersModel(model, { sites: [site] }))).toMatch(
        new RegExp(`from "${site}".*layer "add" also takes "relu1" from before it.*e\\.g\\. "add"`),
      );
    }
    expect(message(() => fromLayersModel(model, { sites: ['image'] }))).toMatch(/"image" is the input/);
    model.dispose();
  });

  it('a softmax inside the last layer, a wrong class count, bad options and wrong images', () => {
    const softmaxInside = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ name: 'c', inputShape: SHAPE, filters: 2, kernelSize: 1 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ name: 'out', units: 3, activation: 'softmax' }),
      ],
    });
    expect(message(() => fromLayersModel(softmaxInside, { sites: ['c'] }))).toMatch(
      /"out" .* applies softmax inside.*activation 'linear' and add tf\.layers\.softmax\(\)/,
    );
    softmaxInside.dispose();

    const model = sequentialNet('bad-options');
    expect(message(() => fromLayersModel(model, { sites: ['conv1'], numClasses: 10 }))).toMatch(
      /numClasses is 10 .* outputs \[batch,3\].*use numClasses: 3/,
    );
    expect(message(() => fromLayersModel(model, { sites: [] }))).toMatch(/sites/);
    const classifier = fromLayersModel(model, { sites: ['conv1'] });
    const wrong = tf.zeros([2, 6, 6, 3]) as tf.Tensor4D;
    expect(message(() => classifier.logits(wrong))).toMatch(
      /takes NHWC images of shape \[batch,6,6,2\] but got \[2,6,6,3\]/,
    );
    expect(message(() => classifier.head(images(1), 'relu1'))).toMatch(/no feature site "relu1".*'conv1'/);
    wrong.dispose();
    classifier.dispose();
  });
});
