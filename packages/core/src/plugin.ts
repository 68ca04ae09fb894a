/**
 * The plugin contract. Every augmentation method in perturb, built in or third party, is an
 * `Augmenter`; every model it trains is a `Model` with named feature sites (a `Classifier`, or a
 * dense model such as DeepLabV3+) whose `Task` says what its logits mean. The trainer composes
 * augmenters through these types alone.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Module } from './module';
import type { Rng } from './rng';
import type { Task } from './task';

/** Per-pixel class ids of a dense batch, with the id that marks pixels left out of losses and metrics. */
export type BatchLabelMap = {
  /** Class ids `[N, H, W]` int32, at the images' resolution. */
  classes: tf.Tensor3D;
  /** The id of pixels to ignore (VOC borders, Cityscapes void, padding an augmenter added); 255 in the layouts. */
  ignoreIndex: number;
};

/** Object boxes of a detection batch, padded to the batch's largest count. */
export type BatchBoxes = {
  /**
   * `[N, M, 4]` float32, (x1, y1, x2, y2) in pixels of the batch's images (x2/y2 exclusive edges,
   * as torchvision: a box covering columns 3..10 is x1 = 3, x2 = 11); padding rows are zeros.
   */
  boxes: tf.Tensor3D;
  /**
   * `[N, M]` int32 class ids, 0-based over the dataset's object classes (no background id);
   * -1 marks a padding row.
   */
  classes: tf.Tensor2D;
};

/**
 * The dense targets a batch may carry besides its class labels, one optional field each: a
 * label map (segmentation) and object boxes (detection). Augmenters declare which of them they
 * keep aligned with the images (`Augmenter.targets`).
 */
export type DenseTarget = 'labelMap' | 'boxes';

/**
 * A training batch: images NHWC float32 in [0, 1], labels as class probabilities (one-hot or
 * soft) and, for dense tasks, per-sample dense targets. A dense batch's `y` is each image's
 * label as its dataset gives it (scenes: the class covering most pixels), which dense tasks do
 * not train on. A type alias rather than an interface, so it is a `tf.TensorContainer`:
 * `tf.tidy` can return a batch.
 */
export type Batch = {
  x: tf.Tensor4D;
  y: tf.Tensor2D;
  /** Per-pixel targets of a segmentation batch. */
  labelMap?: BatchLabelMap;
  /**
   * Object boxes of a detection batch. Crowd regions (COCO `iscrowd`) and VOC `difficult`
   * objects are left out of training batches, as torchvision leaves them out of training.
   */
  boxes?: BatchBoxes;
};

/** Where training batches come from: the classifier trainer's and the VAE-GANs' data. */
export interface TrainData {
  /** Batches per epoch. */
  batchesPerEpoch: number;
  /** One epoch of batches, shuffled with `rng`; the trainer disposes each batch after its step. */
  batches(rng: Rng): Iterable<Batch>;
}

/** Options of a model's forward pass. */
export interface ForwardOptions {
  /** Training mode: BatchNorm uses (and updates) batch statistics. */
  training: boolean;
  /**
   * The batch being trained on, for models whose training forward pass depends on its targets
   * (a detector samples its RoIs against the ground-truth boxes); classifiers and segmenters
   * ignore it. Default none.
   */
  targets?: Batch;
  /**
   * The step's named stream for a training forward pass's randomness (a detector's anchor and
   * RoI sampling); the trainer passes a named child of the step's stream, so a resumed run draws
   * what an uninterrupted one would. Without one, a model that needs randomness uses a fixed,
   * documented stream. Default none.
   */
  rng?: Rng;
}

/**
 * What a model's forward pass returns: one tensor of logits (per image for a classifier, per
 * pixel for a segmenter) or, for a detector, an object of tensors that its task reads.
 */
export type ModelOutput = tf.TensorContainer;

/**
 * A model whose forward pass can be split at named feature sites, so feature-level methods
 * (A-FAN) can perturb the features between `head` and `tail`. For every site s:
 * `tail(head(x, s), s)` equals `logits(x)`. Its `task` says what the logits mean and scores
 * them against a batch; without one it is a classifier (`classificationTask`).
 */
export interface Model<Logits extends ModelOutput = ModelOutput> extends Module {
  /** Feature sites in forward order, e.g. `['stem', 'stage1', 'stage2', 'stage3']`. */
  readonly sites: readonly string[];
  /** Number of classes. */
  readonly numClasses: number;
  /** What the logits mean: the loss, predicted targets and metrics. Default `classificationTask`. */
  readonly task?: Task;
  logits(x: tf.Tensor4D, options: ForwardOptions): Logits;
  /** Input → features at `site`. */
  head(x: tf.Tensor4D, site: string, options: ForwardOptions): tf.Tensor4D;
  /** Features at `site` → logits. */
  tail(features: tf.Tensor4D, site: string, options: ForwardOptions): Logits;
}

/** An image classifier: a {@link Model} with one row of class logits `[N, classes]` per image. */
export type Classifier = Model<tf.Tensor2D>;

/** What the trainer hands an augmenter at every step. */
export interface StepContext {
  /** The model being trained; adversarial augmenters attack it, they must not update it. */
  model: Model;
  /**
   * This augmenter's own seeded stream at this step, derived by names only from the run's seed,
   * the step and the augmenter's place among the combinators (`stepContext`, `childContext`).
   */
  rng: Rng;
  /** Optimizer step, counted from 0 over the whole run (its random streams are named by it). */
  step: number;
  /**
   * The epoch, counted from 1 (as in the training loop's records and callbacks); 0 when the
   * augmenter runs outside training, as an evaluation's attack.
   */
  epoch: number;
}

/**
 * A weighted extra loss term an augmenter adds inside the network. Its value is built only when
 * the trainer takes the term's gradient, one term at a time, so only one term's activations are
 * held at once (nine ResNet tails of a batch of 128 at once overflow wasm's 4 GB heap); the
 * model's gradient is the sum of the terms' gradients.
 */
export interface LossTerm {
  name: string;
  weight: number;
  /** The term's loss; called once, inside the trainer's gradient scope. */
  value(): tf.Scalar;
}

/**
 * What an augmenter's loss stage contributes to one step. `losses()` does its attack work
 * (e.g. PGD on features, with its own `tf.grad`) *outside* the trainer's gradient scope, and
 * returns this; each term's `value()` is then called *inside* a gradient scope, so only the
 * final loss terms, not the attack, are differentiated with respect to the model's parameters.
 */
export interface LossStage {
  /** Multiplies the clean cross-entropy (e.g. 0.5 for ½ clean + ½ adversarial). Default 1. */
  cleanWeight?: number;
  terms(): LossTerm[];
  /** Tensors the terms read that the augmenter learns from the step's loss. Default none. */
  learned?: LearnedInputs;
}

/**
 * What an augmenter learns by gradient descent on the step's own loss (L-ALFA's per-site weights,
 * as the official code steps them from the loss that trains the model). The trainer
 * differentiates the step's loss with respect to `tensors` in the same backward passes that give
 * the model its gradient, so learning them costs no extra forward pass, and hands the gradients
 * to `learn`.
 */
export interface LearnedInputs {
  /** Made by `losses()` for this step (the step's scope disposes them); the terms' `value()` read them. */
  readonly tensors: readonly tf.Tensor[];
  /**
   * Called once after the model's update with d(loss)/d(tensor), in `tensors`' order (zeros for
   * one no term reads); not called when the step's loss is not finite and the model skips its
   * update too. Keep what it learns as state (`Augmenter.state`), not as tensors.
   */
  learn(gradients: readonly tf.Tensor[]): void;
}

/**
 * An augmentation plugin. Both stages are optional. The trainer runs each step inside its own
 * tensor scope, so an augmenter need not dispose intermediates, and must not keep tensors
 * between steps; state it learns across steps is plain JSON behind `state`/`loadState`.
 */
export interface Augmenter {
  /** Unique among its siblings; also names the augmenter's `Rng` stream and its slot of saved state. */
  readonly name: string;
  /**
   * The dense targets this augmenter keeps aligned with the images (a geometric one moves the
   * label map with them; a photometric one or an attack leaves it as it is). A batch carrying a
   * target not listed is refused before the augmenter runs (`compose`). Default none.
   */
  readonly targets?: readonly DenseTarget[];
  /**
   * Input stage: the batch the classifier trains on. May attack `ctx.model` with gradients
   * over its inputs (`tf.grad`), never by updating its variables.
   */
  transform?(batch: Batch, ctx: StepContext): Batch;
  /** Loss stage: extra weighted loss terms computed through `ctx.model` (A-FAN). */
  losses?(batch: Batch, ctx: StepContext): LossStage;
  /**
   * What the augmenter learns while training, as plain JSON (e.g. L-ALFA's site weights). The
   * trainer saves it in every checkpoint and hands it back to `loadState` when a run resumes,
   * so a resumed run continues exactly where the interrupted one stopped.
   */
  state?(): unknown;
  /** Restores what `state()` returned; throws a `PerturbError` if it does not fit. */
  loadState?(state: unknown): void;
}
