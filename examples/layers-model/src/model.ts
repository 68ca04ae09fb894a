/**
 * The user's own model: a small convnet written with plain tfjs-layers, as a TensorFlow.js user
 * would write it, ending in a softmax so that `model.predict` gives class probabilities.
 * perturb never sees how it was built: `fromLayersModel` wraps it by its layer names.
 */
import * as tfl from '@tensorflow/tfjs-layers';

/** `sequential` (a `tf.sequential` stack) or `functional` (`tf.model`, with a residual add). */
export type ModelKind = 'sequential' | 'functional';

/** The layers A-FAN may perturb: the end of the first block and of the second. */
export const MODEL_SITES = ['block1', 'block2'] as const;

/**
 * conv → BN → relu (`block1`) → conv → BN → relu (`block2`) → max-pool → dense → softmax; the
 * functional kind adds `block1` back before `block2`'s relu (so the site there is the `add`).
 * Kernels are drawn from tfjs's seeded initializers, so a seed gives the same model every time.
 */
export function buildModel(
  kind: ModelKind,
  inputShape: readonly number[],
  numClasses: number,
  seed: number,
): tfl.LayersModel {
  const init = (i: number) => tfl.initializers.heNormal({ seed: seed * 1000 + i });
  const conv = (name: string, i: number) =>
    tfl.layers.conv2d({
      name,
      filters: 8,
      kernelSize: 3,
      padding: 'same',
      useBias: false,
      kernelInitializer: init(i),
    });
  // Momentum 0.9 instead of Keras's 0.99: the moving statistics settle within a short run.
  const bn = (name: string) => tfl.layers.batchNormalization({ name, momentum: 0.9 });
  const relu = (name: string) => tfl.layers.activation({ name, activation: 'relu' });
  const top = [
    tfl.layers.maxPooling2d({ name: 'pool', poolSize: 4 }),
    tfl.layers.flatten({ name: 'flatten' }),
    tfl.layers.dense({
      name: 'logits',
      units: numClasses,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: seed * 1000 + 3 }),
    }),
    tfl.layers.softmax({ name: 'probabilities' }),
  ];
  if (kind === 'sequential') {
    const layers = [
      conv('conv1', 1),
      bn('bn1'),
      relu('block1'),
      conv('conv2', 2),
      bn('bn2'),
      relu('block2'),
      ...top,
    ];
    return tfl.sequential({
      name: 'user-sequential',
      layers: [tfl.layers.inputLayer({ inputShape: [...inputShape] }), ...layers],
    });
  }
  const input = tfl.input({ name: 'image', shape: [...inputShape] });
  const block1 = relu('block1').apply(bn('bn1').apply(conv('conv1', 1).apply(input)));
  const residual = tfl.layers
    .add({ name: 'add' })
    .apply([block1, bn('bn2').apply(conv('conv2', 2).apply(block1))] as tfl.SymbolicTensor[]);
  let h = relu('block2').apply(residual);
  for (const layer of top) h = layer.apply(h);
  return tfl.model({ name: 'user-functional', inputs: input, outputs: h as tfl.SymbolicTensor });
}
