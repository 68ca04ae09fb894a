/**
 * On-manifold adversarial examples (Stutz, Hein & Schiele, CVPR 2019): the perturbation lives in
 * the latent space of the true class's VAE-GAN, so the adversarial image x' = decode_y(z + δ)
 * stays on that class's learned manifold. δ starts uniform in [−ε, ε]ᵈ and takes Adam steps
 * that increase the classifier's cross-entropy, projected back onto the L∞ ball after each;
 * each sample gets the iterate with its highest loss, as in the official attack.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  type Augmenter,
  type Batch,
  type BuildEnvironment,
  type Classifier,
  asClassifier,
  PerturbError,
  type Rng,
  type RunStorage,
  defineAugmenter,
  parseOptions,
  z,
} from '@perturb/core';
import { loadClassSpecific } from './class-specific';
import type { VaeGan } from './vaegan';

const attackFields = {
  /** L∞ radius ε of δ (Stutz et al.'s class manifolds; they use 0.1 on the data manifold). */
  epsilon: z.number().min(0).default(0.3),
  /** Adam steps on δ. */
  iterations: z.int().min(0).default(40),
  /** Adam learning rate on δ. */
  lr: z.number().min(0).default(0.005),
  /**
   * BatchNorm mode of the classifier during the attack: `'eval'` uses (and keeps) its running
   * statistics; `'train'` uses batch statistics and so moves them once per step, and once more
   * when the last iterate is scored.
   */
  bnMode: z.enum(['eval', 'train']).default('eval'),
};

/** The settings of {@link onManifoldAttack}, checked, with every default. */
export const onManifoldAttackSchema = z.strictObject(attackFields);

/** Settings of the latent attack (every field optional). */
export type OnManifoldAttackOptions = z.input<typeof onManifoldAttackSchema>;

type AttackSettings = z.output<typeof onManifoldAttackSchema>;

const augmenterFields = z.strictObject({
  ...attackFields,
  /** Share of each batch replaced by adversarial examples (rounded to a count). */
  ratio: z.number().min(0).max(1).default(0.5),
  /** Name in the pipeline; names the augmenter's `Rng` stream. */
  name: z.string().min(1).default('onManifoldAdversarial'),
});

/** Options of {@link onManifoldAdversarial}. */
export type OnManifoldOptions = z.input<typeof augmenterFields> & {
  /**
   * One VAE-GAN per class, in class order, or a function returning them (called once, at the
   * first step; e.g. `() => loadClassSpecific(runFolder('runs/vaegan'))`).
   */
  models: VaeGan[] | (() => VaeGan[]);
};

/**
 * The options of `onManifoldAdversarial` in a config: `models` is the folder of class-specific
 * VAE-GANs that `perturb train-vaegan` wrote.
 */
export const onManifoldAdversarialSchema = augmenterFields.extend({
  models: z.string().min(1).describe('the folder of class-specific VAE-GANs perturb train-vaegan wrote'),
});

/** The samples of each class, so that each class's encoder and decoder run once on all of them. */
interface ClassGroups {
  /** Sample indices sorted by class (stable), i.e. the attack's row order. */
  order: number[];
  /** [class, first row, row count] of each class present. */
  groups: Array<[number, number, number]>;
}

function groupByClass(y: tf.Tensor2D, numModels: number): ClassGroups {
  const labels = tf.tidy(() => tf.argMax(y, 1).dataSync());
  const members = new Map<number, number[]>();
  labels.forEach((label, i) => {
    if (label >= numModels) {
      throw new PerturbError(
        `a sample has class ${label}, but only ${numModels} class-specific VAE-GANs were given`,
        'pass one VAE-GAN per class',
      );
    }
    const list = members.get(label);
    if (list) list.push(i);
    else members.set(label, [i]);
  });
  const order: number[] = [];
  const groups: Array<[number, number, number]> = [];
  for (const [label, indices] of [...members].sort((a, b) => a[0] - b[0])) {
    groups.push([label, order.length, indices.length]);
    order.push(...indices);
  }
  return { order, groups };
}

/** Per-class application of the models over the rows of `codes` (sorted by class). */
function perClass<T extends tf.Tensor>(
  groups: ClassGroups['groups'],
  rows: tf.Tensor,
  run: (model: number, part: tf.Tensor) => T,
): T {
  const parts = groups.map(([label, start, count]) => run(label, tf.slice(rows, start, count)));
  return (parts.length === 1 ? parts[0] : tf.concat(parts)) as T;
}

/**
 * Runs `run` with `models` in evaluation mode, whatever mode their owner left them in, and
 * restores each one's mode after: the attack uses trained VAE-GANs, BatchNorm on its running
 * statistics, which must not move.
 */
function inEvalMode<T>(models: readonly VaeGan[], run: () => T): T {
  const modes = models.map((model) => model.training);
  for (const model of models) model.eval();
  try {
    return run();
  } finally {
    models.forEach((model, k) => model.train(modes[k]));
  }
}

/** What the attack returns; the caller owns both tensors. */
export interface OnManifoldAttackResult {
  /** x' = decode_y(clip(z + δ)), in the order of the input. */
  images: tf.Tensor4D;
  /** δ, [N, latentSize], in the order of the input; |δ|∞ ≤ ε. */
  delta: tf.Tensor2D;
}

/**
 * Attacks `classifier` on `x` (labels `y`, one-hot or soft: the argmax is the class) in the
 * latent spaces of `models[class]`: z = encoder mean, δ₀ ~ U(−ε, ε), `iterations` Adam steps
 * maximizing the mean cross-entropy of classifier(decode(clip(z + δ))) with z + δ clipped to
 * the model's range of training codes, δ clipped to [−ε, ε] after each step. Each sample
 * gets its best iterate (δ₀ … δ_T, the one with its highest cross-entropy), not the last one.
 * Only δ is differentiated: no variable of the classifier or the VAE-GANs changes. `onStep`
 * receives the mean loss at δ before each step.
 */
export function onManifoldAttack(
  classifier: Classifier,
  models: readonly VaeGan[],
  x: tf.Tensor4D,
  y: tf.Tensor2D,
  rng: Rng,
  options: OnManifoldAttackOptions = {},
  onStep?: (iteration: number, loss: number) => void,
): OnManifoldAttackResult {
  const settings = parseOptions(onManifoldAttackSchema, options, 'onManifoldAttack options');
  return attackOnManifold(classifier, models, x, y, rng, settings, onStep);
}

/** {@link onManifoldAttack} with checked settings. */
function attackOnManifold(
  classifier: Classifier,
  models: readonly VaeGan[],
  x: tf.Tensor4D,
  y: tf.Tensor2D,
  rng: Rng,
  { epsilon, iterations, lr, bnMode }: AttackSettings,
  onStep?: (iteration: number, loss: number) => void,
): OnManifoldAttackResult {
  const { order, groups } = groupByClass(y, models.length);
  for (const [label] of groups) assertFits(models[label], x, label);
  return inEvalMode(models, () =>
    tf.tidy(() => {
      const rows = tf.tensor1d(order, 'int32');
      const labels = tf.gather(y, rows);
      const codes = perClass<tf.Tensor2D>(
        groups,
        tf.gather(x, rows),
        (k, part) => models[k].encode(part as tf.Tensor4D).mean,
      );
      const decodeAll = (delta: tf.Tensor) =>
        perClass<tf.Tensor4D>(groups, tf.add(codes, delta), (k, part) =>
          models[k].decode(models[k].clipToCodeRange(part as tf.Tensor2D)),
        );
      // Per-sample cross-entropy, so that each sample can keep its own best iterate.
      const lossesAt = (delta: tf.Tensor) =>
        tf.neg(
          tf.sum(
            tf.mul(
              labels,
              tf.logSoftmax(classifier.logits(decodeAll(delta), { training: bnMode === 'train' })),
            ),
            1,
          ),
        ) as tf.Tensor1D;
      // The gradient of the mean loss: valueAndGrad weights the per-sample losses by this.
      const meanWeights: tf.Tensor1D = tf.fill([codes.shape[0]], 1 / codes.shape[0]);

      // Stutz et al. return each sample's highest-loss iterate, not the last one: `best` holds
      // it and `bestLoss` its loss (−∞ before the first score; ties keep the earlier iterate).
      const initial = rng.uniformTensor(codes.shape, -epsilon, epsilon) as tf.Tensor2D;
      let state: AttackState = {
        delta: initial,
        m: tf.zerosLike(initial),
        v: tf.zerosLike(initial),
        best: initial,
        bestLoss: tf.fill([codes.shape[0]], -Infinity),
      };
      const [beta1, beta2, tiny] = [0.9, 0.999, 1e-8];
      for (let t = 1; t <= iterations; t++) {
        const previous = state;
        // Adam ascent on δ, one tidy per step so a long attack's memory stays flat.
        state = tf.tidy(() => {
          const { delta, m, v } = previous;
          const { value, grad } = tf.valueAndGrad(lossesAt)(delta, meanWeights);
          if (onStep) onStep(t, tf.mean(value).dataSync()[0]);
          const nextM = tf.add(tf.mul(m, beta1), tf.mul(grad, 1 - beta1));
          const nextV = tf.add(tf.mul(v, beta2), tf.mul(tf.square(grad), 1 - beta2));
          const step = tf.div(
            tf.div(nextM, 1 - beta1 ** t),
            tf.add(tf.sqrt(tf.div(nextV, 1 - beta2 ** t)), tiny),
          );
          return {
            ...keepBest(previous, value as tf.Tensor1D),
            delta: tf.clipByValue(tf.add(delta, tf.mul(step, lr)), -epsilon, epsilon) as tf.Tensor2D,
            m: nextM as tf.Tensor2D,
            v: nextV as tf.Tensor2D,
          };
        });
        tf.dispose([previous.delta, previous.m, previous.v, previous.best, previous.bestLoss]);
      }
      // The last iterate has not been scored yet; without iterations δ₀ is the only candidate.
      const best = iterations > 0 ? keepBest(state, lossesAt(state.delta)).best : state.delta;
      const back = tf.tensor1d(inversePermutation(order), 'int32');
      return { images: tf.gather(decodeAll(best), back), delta: tf.gather(best, back) as tf.Tensor2D };
    }),
  );
}

/** The attack's running state: Adam's δ and moments, and each sample's best iterate so far. */
interface AttackState {
  delta: tf.Tensor2D;
  m: tf.Tensor2D;
  v: tf.Tensor2D;
  best: tf.Tensor2D;
  bestLoss: tf.Tensor1D;
}

/** Each sample's best of its best iterate so far and the current δ, whose losses are `losses`. */
function keepBest(
  { delta, best, bestLoss }: AttackState,
  losses: tf.Tensor1D,
): Pick<AttackState, 'best' | 'bestLoss'> {
  const better = tf.tile(tf.reshape(tf.greater(losses, bestLoss), [-1, 1]), [1, delta.shape[1]]);
  return { best: tf.where(better, delta, best), bestLoss: tf.maximum(losses, bestLoss) };
}

function inversePermutation(order: readonly number[]): number[] {
  const inverse = new Array<number>(order.length);
  order.forEach((row, i) => (inverse[row] = i));
  return inverse;
}

function assertFits(model: VaeGan, x: tf.Tensor4D, label: number): void {
  const [h, w, c] = model.config.imageShape;
  if (x.shape[1] !== h || x.shape[2] !== w || x.shape[3] !== c) {
    throw new PerturbError(
      `the VAE-GAN of class ${label} takes ${h}×${w}×${c} images but the batch has ${x.shape.slice(1).join('×')}`,
      "train the VAE-GANs on images of the classifier's input shape (pad or resize the dataset the same way)",
    );
  }
}

/**
 * LA-VAE-GAN as an `Augmenter`: replaces exactly `round(ratio · N)` samples of each batch,
 * chosen with `ctx.rng`, by their on-manifold adversarial examples (`onManifoldAttack` on the
 * classifier being trained). With the default ratio 0.5 the trainer's mean cross-entropy is
 * Stutz et al.'s (L_clean + L_adv)/2. Labels are unchanged.
 */
export function onManifoldAdversarial(options: OnManifoldOptions): Augmenter {
  const { models, ...rest } = options;
  const settings = parseOptions(augmenterFields, rest, 'onManifoldAdversarial options');
  if (Array.isArray(models) ? models.length === 0 : typeof models !== 'function') {
    throw new PerturbError(
      'onManifoldAdversarial needs class-specific VAE-GANs',
      'pass models: one VaeGan per class, or a function that loads them',
    );
  }
  return createOnManifold(settings, Array.isArray(models) ? () => models : models);
}

/** The augmenter, loading its models at the first step through `loadModels`. */
function createOnManifold(
  settings: z.output<typeof augmenterFields>,
  loadModels: () => readonly VaeGan[],
): Augmenter {
  const { name, ratio, ...attack } = settings;
  let models: readonly VaeGan[] | null = null;
  return {
    name,
    transform(batch: Batch, ctx): Batch {
      models ??= loadModels();
      const n = batch.x.shape[0];
      const count = Math.round(ratio * n);
      if (count === 0) return batch;
      const chosen = Array.from(ctx.rng.permutation(n).subarray(0, count)).sort((a, b) => a - b);
      return tf.tidy(() => {
        const picked = tf.tensor1d(chosen, 'int32');
        const { images } = attackOnManifold(
          asClassifier(ctx.model, name),
          models!,
          tf.gather(batch.x, picked),
          tf.gather(batch.y, picked),
          ctx.rng,
          attack,
        );
        // Rows n… of [x; x'] are the adversarial images: point each chosen sample at its own.
        const source = Array.from({ length: n }, (_, i) => i);
        chosen.forEach((row, j) => (source[row] = n + j));
        return { x: tf.gather(tf.concat([batch.x, images]), tf.tensor1d(source, 'int32')), y: batch.y };
      });
    },
  };
}

/** The files of the folder `dir`, read through the build environment (a config names the folder). */
function filesIn(env: BuildEnvironment, dir: string): Pick<RunStorage, 'read' | 'describe'> {
  const path = (name: string) => `${dir.replace(/\/+$/, '')}/${name}`;
  const readFile = env.readFile?.bind(env);
  if (!readFile) {
    throw new PerturbError(
      `cannot load the VAE-GANs in ${dir}: this build environment reads no files`,
      'give the environment a readFile (the cli has one), or build the augmenter with loaded models',
    );
  }
  return { read: (name) => readFile(path(name)), describe: path };
}

/** `onManifoldAdversarial` as configs name it: the VAE-GANs are loaded once per process, at the first step. */
export const onManifoldAdversarialDefinition = defineAugmenter({
  name: 'onManifoldAdversarial',
  summary: "LA-VAE-GAN: Adam on a code δ of the true class's VAE-GAN against the classifier being trained",
  schema: onManifoldAdversarialSchema,
  create: ({ models, ...settings }, env) =>
    createOnManifold(settings, () =>
      env.shared(
        models,
        () => loadClassSpecific(filesIn(env, models)),
        (loaded) => loaded.forEach((model) => model.dispose()),
      ),
    ),
});
