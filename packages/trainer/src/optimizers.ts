/**
 * Optimizers with PyTorch's update rules (so recipes carry over), coupled L2 weight decay, and
 * state that checkpoints exactly: every slot is a named variable.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PerturbError } from '@perturb/core';

export type OptimizerConfig =
  | {
      name: 'sgd';
      /** Default 0.9. */
      momentum?: number;
      /** Nesterov momentum. Default false. */
      nesterov?: boolean;
      /** L2 penalty added to the gradient. Default 0. */
      weightDecay?: number;
    }
  | {
      name: 'adam' | 'adamax';
      /** Default 0.9. */
      beta1?: number;
      /** Default 0.999. */
      beta2?: number;
      /** Default 1e-8. */
      epsilon?: number;
      /** L2 penalty added to the gradient. Default 0. */
      weightDecay?: number;
    };

/** One optimizer step's hyperparameters, from the schedule. */
export interface StepHyper {
  lr: number;
  /** Overrides SGD momentum (one-cycle) or Adam's beta1 for this step. */
  momentum?: number;
}

export interface Optimizer {
  /** Applies `grads` (by variable name) to the parameters. */
  step(grads: tf.NamedTensorMap, hyper: StepHyper): void;
  /** Slot tensors by `<slot>.<parameter name>`, for checkpoints; owned by the optimizer. */
  state(): Record<string, tf.Tensor>;
  /** Restores slots saved by `state()`. */
  loadState(state: Record<string, tf.Tensor>): void;
  dispose(): void;
}

/** Creates an optimizer over named parameters (names as in the module's state dict). */
export function createOptimizer(config: OptimizerConfig, params: Array<[string, tf.Variable]>): Optimizer {
  const decay = config.weightDecay ?? 0;
  if (!(decay >= 0)) {
    throw new PerturbError(`weight decay ${decay} is invalid`, 'use a value ≥ 0, e.g. 5e-4');
  }
  const slots = new SlotStore(params);
  const withDecay = (g: tf.Tensor, p: tf.Variable) => (decay > 0 ? tf.add(g, tf.mul(p, decay)) : g);

  if (config.name === 'sgd') {
    const nesterov = config.nesterov ?? false;
    return slots.optimizer((p, g, name, hyper) => {
      const mu = hyper.momentum ?? config.momentum ?? 0.9;
      let d = withDecay(g, p);
      if (mu > 0) {
        const buf = slots.get('momentum', name, p);
        const next = slots.isFresh('momentum', name) ? d : tf.add(tf.mul(buf, mu), d);
        buf.assign(next);
        d = nesterov ? tf.add(d, tf.mul(next, mu)) : next;
      }
      p.assign(tf.sub(p, tf.mul(d, hyper.lr)));
    });
  }

  const beta2 = config.beta2 ?? 0.999;
  const eps = config.epsilon ?? 1e-8;
  const isAdamax = config.name === 'adamax';
  return slots.optimizer((p, g, name, hyper, t) => {
    const beta1 = hyper.momentum ?? config.beta1 ?? 0.9;
    const d = withDecay(g, p);
    const m = slots.get('m', name, p);
    const v = slots.get(isAdamax ? 'u' : 'v', name, p);
    m.assign(tf.add(tf.mul(m, beta1), tf.mul(d, 1 - beta1)));
    const biasCorrection1 = 1 - beta1 ** t;
    if (isAdamax) {
      v.assign(tf.maximum(tf.mul(v, beta2), tf.add(tf.abs(d), eps)));
      p.assign(tf.sub(p, tf.div(tf.mul(m, hyper.lr / biasCorrection1), v)));
    } else {
      v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(d), 1 - beta2)));
      const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(1 - beta2 ** t)), eps);
      p.assign(tf.sub(p, tf.div(tf.mul(m, hyper.lr / biasCorrection1), denom)));
    }
  });
}

type Update = (p: tf.Variable, g: tf.Tensor, name: string, hyper: StepHyper, t: number) => void;

/** Lazily created zero-initialized slots per parameter, plus the step count, all checkpointable. */
class SlotStore {
  private readonly slots = new Map<string, tf.Variable>();
  private readonly fresh = new Set<string>();
  private readonly stepCount = ownedVariable(tf.scalar(0, 'int32'));

  constructor(private readonly params: Array<[string, tf.Variable]>) {}

  get(slot: string, name: string, like: tf.Tensor): tf.Variable {
    const key = `${slot}.${name}`;
    let v = this.slots.get(key);
    if (!v) {
      v = ownedVariable(tf.zerosLike(like));
      this.slots.set(key, v);
      this.fresh.add(key);
    }
    return v;
  }

  /** True the first time a slot is used, for PyTorch's "momentum buffer starts at the gradient". */
  isFresh(slot: string, name: string): boolean {
    return this.fresh.delete(`${slot}.${name}`);
  }

  optimizer(update: Update): Optimizer {
    return {
      step: (grads, hyper) => {
        if (!(hyper.lr >= 0) || !Number.isFinite(hyper.lr)) {
          throw new PerturbError(`learning rate ${hyper.lr} is invalid`, 'use a finite value ≥ 0');
        }
        const t = this.stepCount.dataSync()[0] + 1;
        tf.tidy(() => {
          for (const [name, p] of this.params) {
            const g = grads[p.name];
            if (g) update(p, g, name, hyper, t);
          }
          this.stepCount.assign(tf.scalar(t, 'int32'));
        });
      },
      state: () => ({ step: this.stepCount, ...Object.fromEntries(this.slots) }),
      loadState: (state) => {
        for (const [key, value] of Object.entries(state)) {
          if (key === 'step') {
            this.stepCount.assign(value as tf.Scalar);
            continue;
          }
          const existing = this.slots.get(key);
          if (existing) existing.assign(value);
          else this.slots.set(key, ownedVariable(value.clone()));
        }
      },
      dispose: () => {
        for (const v of this.slots.values()) v.dispose();
        this.stepCount.dispose();
      },
    };
  }
}

/** A non-trainable variable that takes over `initial` (disposing it, so nothing is left behind). */
function ownedVariable(initial: tf.Tensor): tf.Variable {
  const v = tf.variable(initial, false);
  initial.dispose();
  return v;
}
