import * as tf from '@tensorflow/tfjs-core';
import { Module, PerturbError } from '@perturb/core';
import type { Classifier, ForwardOptions } from '@perturb/core';
import type { FeatureLayer } from './layers/stage';

/** The part of a network after the last feature site: features → logits. */
export type ClassifierTop = Module & { forward(features: tf.Tensor4D, training: boolean): tf.Tensor2D };

/**
 * A classifier written as a chain of named feature stages followed by a top. The output of
 * every stage is a feature site, so `head`/`tail` split the same chain that `logits` runs
 * whole, and `tail(head(x, s), s)` equals `logits(x)` by construction.
 *
 * The `training` option of every forward method defaults to the module's mode
 * (`train()`/`eval()`).
 */
export class SitedClassifier extends Module implements Classifier {
  readonly sites: readonly string[];
  private readonly stages: readonly FeatureLayer[];
  private readonly top: ClassifierTop;

  /**
   * @param stages the feature stages in forward order; each name is a site and the stage's
   *   state prefix.
   * @param top registered as `classifier`.
   */
  constructor(
    readonly numClasses: number,
    readonly inChannels: number,
    stages: ReadonlyArray<readonly [string, FeatureLayer]>,
    top: ClassifierTop,
  ) {
    super();
    this.sites = stages.map(([name]) => name);
    this.stages = stages.map(([name, stage]) => this.addModule(name, stage));
    this.top = this.addModule('classifier', top);
  }

  /** Logits `[batch, numClasses]` of NHWC images. */
  logits(x: tf.Tensor4D, options: Partial<ForwardOptions> = {}): tf.Tensor2D {
    this.checkInput(x);
    const training = options.training ?? this.training;
    return tf.tidy(() => this.top.forward(this.runStages(x, 0, this.stages.length, training), training));
  }

  /** Features at `site` (the output of that stage) of NHWC images. */
  head(x: tf.Tensor4D, site: string, options: Partial<ForwardOptions> = {}): tf.Tensor4D {
    this.checkInput(x);
    const training = options.training ?? this.training;
    return tf.tidy(() => this.runStages(x, 0, this.siteIndex(site) + 1, training));
  }

  /** Logits from features at `site`, as `head(x, site)` returns them. */
  tail(features: tf.Tensor4D, site: string, options: Partial<ForwardOptions> = {}): tf.Tensor2D {
    const training = options.training ?? this.training;
    const from = this.siteIndex(site) + 1;
    return tf.tidy(() =>
      this.top.forward(this.runStages(features, from, this.stages.length, training), training),
    );
  }

  private runStages(x: tf.Tensor4D, from: number, to: number, training: boolean): tf.Tensor4D {
    let h = x;
    for (let i = from; i < to; i++) h = this.stages[i].forward(h, training);
    return h;
  }

  private siteIndex(site: string): number {
    const index = this.sites.indexOf(site);
    if (index < 0) {
      throw new PerturbError(
        `${this.constructor.name} has no feature site "${site}"`,
        `use one of ${this.sites.map((s) => `'${s}'`).join(', ')}`,
      );
    }
    return index;
  }

  private checkInput(x: tf.Tensor): void {
    if (x.rank !== 4 || x.shape[3] !== this.inChannels) {
      throw new PerturbError(
        `${this.constructor.name} expects NHWC images with ${this.inChannels} channels but got shape [${x.shape}]`,
        `pass a [batch, height, width, ${this.inChannels}] tensor, or create the model with inChannels: ${x.shape[x.rank - 1]}`,
      );
    }
  }
}
