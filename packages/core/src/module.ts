/**
 * `Module`: the base of every trainable model in perturb. It owns named parameters (trainable
 * variables), named buffers (non-trainable state such as BatchNorm running statistics or
 * ActNorm's initialized flag) and named child modules, and turns them into a flat state dict
 * with dotted names (`stage1.0.conv1.weight`), the form checkpoints store.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PerturbError } from './errors';

/** A module's parameters and buffers by dotted name (`stage1.0.conv1.weight`). */
export type StateDict = Record<string, tf.Tensor>;

/**
 * The base class of every trainable model and layer: subclasses register their parameters,
 * buffers and child modules in the constructor (`addParameter`, `addBuffer`, `addModule`), and
 * get state dicts, training mode and disposal for free. A new module is in training mode.
 */
export abstract class Module {
  private readonly ownParameters = new Map<string, tf.Variable>();
  private readonly ownBuffers = new Map<string, tf.Variable>();
  private readonly children = new Map<string, Module>();
  private trainingMode = true;

  /** Whether the module is in training mode (BatchNorm uses batch statistics, dropout is on). */
  get training(): boolean {
    return this.trainingMode;
  }

  /** Sets training mode on this module and every descendant. */
  train(mode = true): this {
    this.trainingMode = mode;
    for (const child of this.children.values()) child.train(mode);
    return this;
  }

  /** Evaluation mode: `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /** Registers a trainable parameter, taking ownership of `initial`. */
  protected addParameter(name: string, initial: tf.Tensor): tf.Variable {
    return this.register(this.ownParameters, name, initial, true);
  }

  /** Registers non-trainable state that is saved with the module, taking ownership of `initial`. */
  protected addBuffer(name: string, initial: tf.Tensor): tf.Variable {
    return this.register(this.ownBuffers, name, initial, false);
  }

  /** Registers a child module under `name`; its state appears under `name.` prefixes. */
  protected addModule<M extends Module>(name: string, module: M): M {
    this.assertFreeName(name);
    this.children.set(name, module);
    return module;
  }

  private register(
    into: Map<string, tf.Variable>,
    name: string,
    initial: tf.Tensor,
    trainable: boolean,
  ): tf.Variable {
    this.assertFreeName(name);
    const variable = tf.variable(initial, trainable);
    initial.dispose();
    into.set(name, variable);
    return variable;
  }

  private assertFreeName(name: string): void {
    if (name.includes('.') || name === '') {
      throw new PerturbError(`invalid state name "${name}"`, 'use a non-empty name without dots');
    }
    if (this.ownParameters.has(name) || this.ownBuffers.has(name) || this.children.has(name)) {
      throw new PerturbError(
        `"${name}" is registered twice on ${this.constructor.name}`,
        'give it a unique name',
      );
    }
  }

  /** Every trainable parameter with its dotted name, depth first in registration order. */
  namedParameters(): Array<[string, tf.Variable]> {
    return this.collect((m) => m.ownParameters);
  }

  /** Every buffer with its dotted name. */
  namedBuffers(): Array<[string, tf.Variable]> {
    return this.collect((m) => m.ownBuffers);
  }

  /** The trainable parameters, for an optimizer. */
  parameters(): tf.Variable[] {
    return this.namedParameters().map(([, v]) => v);
  }

  /** Named child modules, direct children only. */
  namedChildren(): Array<[string, Module]> {
    return [...this.children.entries()];
  }

  /** Total number of trainable scalars. */
  numParameters(): number {
    return this.parameters().reduce((n, v) => n + v.size, 0);
  }

  /** Parameters and buffers by dotted name. The tensors are the module's own: do not dispose them. */
  stateDict(): StateDict {
    return Object.fromEntries([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /**
   * Copies values from `state` into this module's parameters and buffers. With `strict` (the
   * default) every name must match both ways; shapes must always match.
   */
  loadStateDict(state: StateDict, options: { strict?: boolean } = {}): void {
    const strict = options.strict ?? true;
    const own = this.stateDict();
    if (strict) {
      const missing = Object.keys(own).filter((k) => !(k in state));
      const unexpected = Object.keys(state).filter((k) => !(k in own));
      if (missing.length > 0 || unexpected.length > 0) {
        throw new PerturbError(
          `state dict does not match ${this.constructor.name}: missing [${missing.slice(0, 5).join(', ')}]` +
            `, unexpected [${unexpected.slice(0, 5).join(', ')}]`,
          'load a checkpoint saved from the same model configuration, or pass { strict: false }',
        );
      }
    }
    // Check every shape before assigning anything, so a bad state dict leaves the module as it was.
    for (const [name, variable] of Object.entries(own)) {
      const value = state[name];
      if (value !== undefined && !tf.util.arraysEqual(value.shape, variable.shape)) {
        throw new PerturbError(
          `"${name}" has shape [${value.shape}] in the state dict but [${variable.shape}] in the model`,
          'load a checkpoint saved from the same model configuration',
        );
      }
    }
    for (const [name, variable] of Object.entries(own)) {
      const value = state[name];
      if (value === undefined || value === variable) continue;
      (variable as tf.Variable).assign(
        value.dtype === variable.dtype ? value : tf.cast(value, variable.dtype),
      );
    }
  }

  /**
   * Frees this module's parameters and buffers, then disposes each child through its own
   * `dispose`, so subclasses that hold other tensors (caches, inverses) free them too.
   */
  dispose(): void {
    for (const v of [...this.ownParameters.values(), ...this.ownBuffers.values()]) v.dispose();
    for (const child of this.children.values()) child.dispose();
  }

  private collect(pick: (m: Module) => Map<string, tf.Variable>): Array<[string, tf.Variable]> {
    const out: Array<[string, tf.Variable]> = [...pick(this).entries()];
    for (const [childName, child] of this.children) {
      for (const [name, v] of child.collect(pick)) out.push([`${childName}.${name}`, v]);
    }
    return out;
  }
}
