/**
 * Optimizers with PyTorch's update rules (so recipes carry over), coupled L2 weight decay, and
 * state that checkpoints exactly: every slot is a named variable.
 *
 * Each rule is written once, over tensors of any shape, and runs in one of two layouts:
 * per parameter (a few ops per parameter, nothing read back: the default, right for any
 * backend and any model size), or flat (all parameters as one vector: a few ops in total and
 * one device-to-host read per step, for models with hundreds of small parameters such as
 * normalizing flows, where per-op dispatch cost dominates a per-parameter update on wasm).
 */
import * as tf from '@tensorflow/tfjs-core';
import { PerturbError, parseOptions, z } from '@perturb/core';
import { withNameShorthand } from './shorthand';

/** The settings both optimizer families share. */
const weightDecay = z
  .number()
  .min(0)
  .default(0)
  .describe("L2 penalty added to the gradient (coupled, as PyTorch's weight_decay)");

/** SGD with (optionally Nesterov) momentum. */
const sgdSchema = z.strictObject({
  name: z.literal('sgd'),
  momentum: z.number().min(0).max(1).default(0.9).describe('momentum factor (0 turns momentum off)'),
  nesterov: z.boolean().default(false).describe('Nesterov momentum'),
  weightDecay,
});

/** Adam, or Adamax (Adam with an infinity-norm second moment). */
const adamSchema = z.strictObject({
  name: z.enum(['adam', 'adamax']),
  beta1: z.number().min(0).lt(1).default(0.9).describe('decay rate of the first-moment (mean) estimate'),
  beta2: z
    .number()
    .min(0)
    .lt(1)
    .default(0.999)
    .describe('decay rate of the second-moment (Adam) or infinity-norm (Adamax) estimate'),
  epsilon: z
    .number()
    .positive()
    .default(1e-8)
    .describe("added to Adam's denominator, and to |g| in Adamax's norm, for numerical stability"),
  weightDecay,
});

const optimizerObjectSchema = z.discriminatedUnion('name', [sgdSchema, adamSchema]);

/** The optimizers' names, as `optimizer.name` takes them. */
export const OPTIMIZER_NAMES = ['sgd', 'adam', 'adamax'] as const;

/**
 * The optimizer setting of a config: `{ name, ...hyperparameters }` (every hyperparameter
 * checked and defaulted) or just the name (`'sgd'` = `{ name: 'sgd' }`). Unknown names and
 * unknown keys are refused.
 */
export const optimizerSchema = withNameShorthand(OPTIMIZER_NAMES, optimizerObjectSchema);

/**
 * Which optimizer to use and its hyperparameters; the learning rate comes from the schedule.
 * `'sgd'`: SGD with (optionally Nesterov) momentum (defaults momentum 0.9, nesterov false).
 * `'adam'`: Adam. `'adamax'`: Adamax (defaults beta1 0.9, beta2 0.999, epsilon 1e-8). Weight
 * decay (default 0) is coupled: `weightDecay · p` is added to the gradient, as PyTorch's
 * `weight_decay` does.
 */
export type OptimizerConfig = z.input<typeof optimizerObjectSchema>;

/** An {@link OptimizerConfig} with every default filled in, as {@link optimizerSchema} returns it. */
export type ResolvedOptimizerConfig = z.output<typeof optimizerObjectSchema>;

/** How an optimizer holds its parameters' state while updating them. */
export type OptimizerLayout = 'per-parameter' | 'flat';

/** How {@link createOptimizer} lays out the optimizer's state. */
export interface OptimizerOptions {
  /**
   * `'per-parameter'`: slots per parameter; parameters without a gradient in a step are left
   * alone, as in PyTorch. `'flat'`: one slot vector over all parameters, updated with a few
   * ops and written back through one host read; a missing gradient counts as zero, so use it
   * when every parameter gets a gradient each step. Default `'per-parameter'`.
   */
  layout?: OptimizerLayout;
}

/** One optimizer step's hyperparameters, from the schedule. */
export interface StepHyper {
  /** The step's learning rate. */
  lr: number;
  /** Overrides SGD momentum (one-cycle) or Adam's beta1 for this step. */
  momentum?: number;
  /** Multiplies every gradient before the update (global-norm clipping). Default 1. */
  gradientScale?: number;
}

/**
 * An optimizer created by {@link createOptimizer}: it updates its parameters in place and owns
 * its slot tensors (momentum buffers, moment estimates), which `dispose` frees.
 */
export interface Optimizer {
  /** Applies `grads` (by variable name) to the parameters. */
  step(grads: tf.NamedTensorMap, hyper: StepHyper): void;
  /** Updates applied so far. */
  readonly steps: number;
  /** Slot tensors by name, plus `step`, for checkpoints; owned by the optimizer. */
  state(): Record<string, tf.Tensor>;
  /** Restores slots saved by `state()` of an optimizer of the same config and layout. */
  loadState(state: Record<string, tf.Tensor>): void;
  /** Frees the slot tensors; the parameters are left alone. */
  dispose(): void;
}

/** The slots one update reads and writes: one parameter's, or all parameters' as one vector. */
interface Slots {
  /** The slot's current value (zeros the first time). */
  get(slot: string): tf.Tensor;
  set(slot: string, value: tf.Tensor): void;
  /** True the first time a slot is used, for PyTorch's "momentum buffer starts at the gradient". */
  isFresh(slot: string): boolean;
}

/** An update rule: the parameter's new value from its gradient `d` (weight decay included). */
type Rule = (p: tf.Tensor, d: tf.Tensor, slots: Slots, hyper: StepHyper, t: number) => tf.Tensor;

/** Creates an optimizer over named parameters (names as in the module's state dict). */
export function createOptimizer(
  config: OptimizerConfig | OptimizerConfig['name'],
  params: Array<[string, tf.Variable]>,
  options: OptimizerOptions = {},
): Optimizer {
  const resolved = parseOptions(optimizerSchema, config, 'the optimizer options');
  const rule = resolved.name === 'sgd' ? sgdRule(resolved) : adamRule(resolved);
  const decay = resolved.weightDecay;
  const update: Rule = (p, g, slots, hyper, t) => {
    const scaled = (hyper.gradientScale ?? 1) === 1 ? g : tf.mul(g, hyper.gradientScale!);
    return rule(p, decay > 0 ? tf.add(scaled, tf.mul(p, decay)) : scaled, slots, hyper, t);
  };
  const layout = options.layout ?? 'per-parameter';
  return layout === 'flat' ? new FlatOptimizer(params, update) : new PerParameterOptimizer(params, update);
}

/**
 * Global L2 norm of a set of gradients, as one scalar tensor (for clipping by global norm:
 * pass `min(1, maxNorm / norm)` as the step's `gradientScale`).
 */
export function globalNorm(grads: tf.Tensor[]): tf.Scalar {
  return tf.tidy(() =>
    tf.sqrt(tf.sum(tf.square(tf.concat(grads.map((g) => tf.reshape(g, [-1])))))),
  ) as tf.Scalar;
}

function sgdRule(config: Extract<ResolvedOptimizerConfig, { name: 'sgd' }>): Rule {
  return (p, d, slots, hyper) => {
    const mu = hyper.momentum ?? config.momentum;
    let direction = d;
    if (mu > 0) {
      const previous = slots.get('momentum');
      const next = slots.isFresh('momentum') ? d : tf.add(tf.mul(previous, mu), d);
      slots.set('momentum', next);
      direction = config.nesterov ? tf.add(d, tf.mul(next, mu)) : next;
    }
    return tf.sub(p, tf.mul(direction, hyper.lr));
  };
}

function adamRule(config: Extract<ResolvedOptimizerConfig, { name: 'adam' | 'adamax' }>): Rule {
  const { beta2, epsilon: eps } = config;
  const isAdamax = config.name === 'adamax';
  return (p, d, slots, hyper, t) => {
    const beta1 = hyper.momentum ?? config.beta1;
    const m = tf.add(tf.mul(slots.get('m'), beta1), tf.mul(d, 1 - beta1));
    slots.set('m', m);
    const step = tf.mul(m, hyper.lr / (1 - beta1 ** t));
    if (isAdamax) {
      const u = tf.maximum(tf.mul(slots.get('u'), beta2), tf.add(tf.abs(d), eps));
      slots.set('u', u);
      return tf.sub(p, tf.div(step, u));
    }
    const v = tf.add(tf.mul(slots.get('v'), beta2), tf.mul(tf.square(d), 1 - beta2));
    slots.set('v', v);
    return tf.sub(p, tf.div(step, tf.add(tf.div(tf.sqrt(v), Math.sqrt(1 - beta2 ** t)), eps)));
  };
}

/** What both layouts share: lazily created zero slots, the step count, checkpointable state. */
abstract class SlotOptimizer implements Optimizer {
  protected readonly slots = new Map<string, tf.Variable>();
  private readonly fresh = new Set<string>();
  private readonly stepCount = ownedVariable(tf.scalar(0, 'int32'));
  steps = 0;

  constructor(
    protected readonly params: Array<[string, tf.Variable]>,
    protected readonly update: Rule,
  ) {}

  step(grads: tf.NamedTensorMap, hyper: StepHyper): void {
    if (!(hyper.lr >= 0) || !Number.isFinite(hyper.lr)) {
      throw new PerturbError(`learning rate ${hyper.lr} is invalid`, 'use a finite value ≥ 0');
    }
    const t = this.steps + 1;
    tf.tidy(() => {
      this.apply(grads, hyper, t);
      this.stepCount.assign(tf.scalar(t, 'int32'));
    });
    this.steps = t;
  }

  /** Runs the rule on the parameters that `grads` covers. */
  protected abstract apply(grads: tf.NamedTensorMap, hyper: StepHyper, t: number): void;

  /** The slots under `prefix` (a parameter name, or '' for the flat vector), created like `like`. */
  protected slotsFor(prefix: string, like: () => tf.Tensor): Slots {
    const key = (slot: string) => (prefix ? `${slot}.${prefix}` : slot);
    return {
      get: (slot) => {
        let v = this.slots.get(key(slot));
        if (!v) {
          v = ownedVariable(tf.zerosLike(like()));
          this.slots.set(key(slot), v);
          this.fresh.add(key(slot));
        }
        return v;
      },
      set: (slot, value) => this.slots.get(key(slot))!.assign(value),
      isFresh: (slot) => this.fresh.delete(key(slot)),
    };
  }

  state(): Record<string, tf.Tensor> {
    return { step: this.stepCount, ...Object.fromEntries(this.slots) };
  }

  loadState(state: Record<string, tf.Tensor>): void {
    for (const [key, value] of Object.entries(state)) {
      if (key === 'step') continue;
      const existing = this.slots.get(key);
      if (existing && !tf.util.arraysEqual(existing.shape, value.shape)) {
        throw new PerturbError(
          `the saved optimizer slot "${key}" has shape [${value.shape}] but the model needs [${existing.shape}]`,
          'resume with the same model and optimizer configuration, or start a new run in another folder',
        );
      }
      if (existing) existing.assign(value);
      else this.slots.set(key, ownedVariable(value.clone()));
      this.fresh.delete(key);
    }
    if (state.step) {
      this.stepCount.assign(state.step as tf.Scalar);
      this.steps = this.stepCount.dataSync()[0];
    }
  }

  dispose(): void {
    for (const v of this.slots.values()) v.dispose();
    this.stepCount.dispose();
  }
}

class PerParameterOptimizer extends SlotOptimizer {
  protected apply(grads: tf.NamedTensorMap, hyper: StepHyper, t: number): void {
    for (const [name, p] of this.params) {
      const g = grads[p.name];
      if (g)
        p.assign(
          this.update(
            p,
            g,
            this.slotsFor(name, () => p),
            hyper,
            t,
          ),
        );
    }
  }
}

class FlatOptimizer extends SlotOptimizer {
  private readonly sizes: number[];
  private readonly total: number;

  constructor(params: Array<[string, tf.Variable]>, update: Rule) {
    super(params, update);
    this.sizes = params.map(([, p]) => p.size);
    this.total = this.sizes.reduce((a, b) => a + b, 0);
  }

  protected apply(grads: tf.NamedTensorMap, hyper: StepHyper, t: number): void {
    const flat = (pick: (p: tf.Variable) => tf.Tensor) =>
      tf.concat(this.params.map(([, p]) => tf.reshape(pick(p), [-1])));
    const g = flat((p) => grads[p.name] ?? tf.zeros(p.shape));
    const next = this.update(
      flat((p) => p),
      g,
      this.slotsFor('', () => tf.zeros([this.total])),
      hyper,
      t,
    );
    this.assignFromHost(next.dataSync() as Float32Array);
  }

  /**
   * Writes the new values into the parameters from one host copy: splitting a flat tensor on
   * the device costs one slow Slice kernel per parameter on wasm (~1 ms each), uploads ~10 µs.
   */
  private assignFromHost(values: Float32Array): void {
    let offset = 0;
    this.params.forEach(([, p], i) => {
      p.assign(tf.tensor(values.subarray(offset, offset + this.sizes[i]), p.shape, 'float32'));
      offset += this.sizes[i];
    });
  }
}

/** A non-trainable variable that takes over `initial` (disposing it, so nothing is left behind). */
function ownedVariable(initial: tf.Tensor): tf.Variable {
  const v = tf.variable(initial, false);
  initial.dispose();
  return v;
}
