/**
 * Adam and Adamax (Kingma & Ba 2015) with PyTorch's update rules over a model's named
 * parameters, with state that checkpoints save and restore exactly.
 *
 * The update runs on all parameters at once, as one flat vector: a few ops in total instead of
 * a dozen per parameter (a Glow has hundreds of small parameters, and per-op dispatch cost,
 * not arithmetic, dominated a per-parameter update). The new values come back through one
 * device-to-host read of the flat parameter vector per step.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PerturbError } from '@perturb/core';

/** Which update rule. */
export type OptimizerKind = 'adam' | 'adamax';

/** Options of `FlowOptimizer`. */
export interface FlowOptimizerOptions {
  /** `'adam'` or `'adamax'` (Glow's paper and flow-lp's CIFAR recipe use Adamax). Default `'adam'`. */
  kind?: OptimizerKind;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-8. */
  epsilon?: number;
  /** L2 penalty added to the gradient, as PyTorch's `weight_decay`. Default 0. */
  weightDecay?: number;
}

/**
 * One optimizer over named parameters. `apply` takes gradients by parameter name and the step's
 * learning rate, so schedules (warm-up) live with the caller.
 */
export class FlowOptimizer {
  readonly kind: OptimizerKind;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly weightDecay: number;
  private readonly sizes: number[];
  /** First moment, and second moment (Adam) or infinity norm (Adamax), of all parameters, flat. */
  private readonly m: tf.Variable;
  private readonly v: tf.Variable;
  /** Updates applied so far (for bias correction). */
  step = 0;

  constructor(
    private readonly params: ReadonlyArray<[string, tf.Variable]>,
    options: FlowOptimizerOptions = {},
  ) {
    this.kind = options.kind ?? 'adam';
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    this.sizes = params.map(([, p]) => p.size);
    const total = this.sizes.reduce((a, b) => a + b, 0);
    // tidy frees the zero tensors the variables copy (variables themselves outlive it).
    [this.m, this.v] = tf.tidy(() => [
      tf.variable(tf.zeros([total]), false),
      tf.variable(tf.zeros([total]), false),
    ]);
  }

  /** The gradients as one flat vector in parameter order (a missing gradient counts as zero). */
  flatten(gradients: Record<string, tf.Tensor>): tf.Tensor1D {
    return tf.tidy(() =>
      tf.concat(
        this.params.map(([name, p]) =>
          gradients[name] ? tf.reshape(gradients[name], [-1]) : tf.zeros([p.size]),
        ),
      ),
    );
  }

  /** One update from gradients by parameter name, each multiplied by `gradientScale` (for clipping). */
  apply(gradients: Record<string, tf.Tensor>, lr: number, gradientScale = 1): void {
    const flat = this.flatten(gradients);
    this.applyFlat(flat, lr, gradientScale);
    flat.dispose();
  }

  /** One update from a gradient that `flatten` produced. */
  applyFlat(flatGradient: tf.Tensor1D, lr: number, gradientScale = 1): void {
    this.step += 1;
    const correction1 = 1 - this.beta1 ** this.step;
    const correction2 = 1 - this.beta2 ** this.step;
    tf.tidy(() => {
      let g: tf.Tensor = gradientScale === 1 ? flatGradient : tf.mul(flatGradient, gradientScale);
      if (this.weightDecay > 0) g = tf.add(g, tf.mul(this.flatParameters(), this.weightDecay));
      this.m.assign(tf.add(tf.mul(this.m, this.beta1), tf.mul(g, 1 - this.beta1)));
      let delta: tf.Tensor;
      if (this.kind === 'adam') {
        this.v.assign(tf.add(tf.mul(this.v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)));
        // lr·m̂/(√v̂ + ε) with the corrections folded into scalars, as PyTorch does.
        const denominator = tf.add(tf.sqrt(this.v), this.epsilon * Math.sqrt(correction2));
        delta = tf.mul(tf.div(this.m, denominator), (lr * Math.sqrt(correction2)) / correction1);
      } else {
        this.v.assign(tf.maximum(tf.mul(this.v, this.beta2), tf.add(tf.abs(g), this.epsilon)));
        delta = tf.mul(tf.div(this.m, this.v), lr / correction1);
      }
      this.assignFlat(tf.sub(this.flatParameters(), delta).dataSync());
    });
  }

  /**
   * Writes new values into the parameters from one host copy: splitting a flat tensor on the
   * device costs one slow Slice kernel per parameter on wasm (~1 ms each), uploads cost ~10 µs.
   */
  private assignFlat(values: Float32Array | Int32Array | Uint8Array): void {
    let offset = 0;
    this.params.forEach(([, p], i) => {
      p.assign(tf.tensor(values.subarray(offset, offset + this.sizes[i]), p.shape, 'float32'));
      offset += this.sizes[i];
    });
  }

  private flatParameters(): tf.Tensor1D {
    return tf.concat(this.params.map(([, p]) => tf.reshape(p, [-1])));
  }

  /** The state as named tensors (owned by the optimizer) plus the step, for a checkpoint. */
  state(): { tensors: Record<string, tf.Tensor>; step: number } {
    return { tensors: { 'optimizer.m': this.m, 'optimizer.v': this.v }, step: this.step };
  }

  /** Restores what `state()` returned (the tensors are copied, the caller keeps ownership). */
  loadState(tensors: Record<string, tf.Tensor>, step: number): void {
    const [m, v] = [tensors['optimizer.m'], tensors['optimizer.v']];
    if (
      !m ||
      !v ||
      !tf.util.arraysEqual(m.shape, this.m.shape) ||
      !tf.util.arraysEqual(v.shape, this.v.shape)
    ) {
      throw new PerturbError(
        'the checkpoint’s optimizer state does not match the model’s parameters',
        'resume with the same model and optimizer configuration, or start a new run in another folder',
      );
    }
    this.m.assign(m);
    this.v.assign(v);
    this.step = step;
  }

  /** Frees the optimizer's state. */
  dispose(): void {
    tf.dispose([this.m, this.v]);
  }
}
