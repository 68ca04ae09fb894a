import * as tf from '@tensorflow/tfjs-core';
import { Module, checkImageChannels, siteIndex } from '@perturb/core';
import type { Classifier, ForwardOptions } from '@perturb/core';
import { Stage } from './layers/stage';
import type { FeatureLayer } from './layers/stage';

/** The part of a network after the last feature site: features → logits. */
export type ClassifierTop = Module & { forward(features: tf.Tensor4D, training: boolean): tf.Tensor2D };

/** One link of the forward chain: a layer and the feature site at its output. */
interface SiteLink {
  site: string;
  layer: FeatureLayer;
}

/**
 * The forward chain of `stages`: a `Stage` contributes one link per block, its blocks but the
 * last named `<stage>.block<i>` and its last one named `<stage>` (the stage's output, which
 * has always been that site: naming it twice would perturb the same features twice in a
 * multi-site method); any other layer is one link under its own name. Running a stage's
 * blocks one by one is exactly what `Stage.forward` does, so the split changes no number.
 */
function siteChain(stages: ReadonlyArray<readonly [string, FeatureLayer]>): SiteLink[] {
  return stages.flatMap(([name, layer]) =>
    layer instanceof Stage
      ? layer.blocks.map((block, i) => ({
          site: i === layer.blocks.length - 1 ? name : `${name}.block${i}`,
          layer: block,
        }))
      : [{ site: name, layer }],
  );
}

/**
 * A classifier written as a chain of named feature stages followed by a top. The output of
 * every stage is a feature site, and so is the output of every block inside a `Stage` but its
 * last (`stage1.block0`, `stage1.block1`, …, then `stage1`): `head`/`tail` split the same
 * chain that `logits` runs whole, and `tail(head(x, s), s)` equals `logits(x)` by construction.
 * `sites` lists them in forward order.
 *
 * The `training` option of every forward method defaults to the module's mode
 * (`train()`/`eval()`).
 */
export class SitedClassifier extends Module implements Classifier {
  readonly sites: readonly string[];
  private readonly chain: readonly FeatureLayer[];
  private readonly top: ClassifierTop;

  /**
   * @param stages the feature stages in forward order; each name is a site and the stage's
   *   state prefix, and a `Stage`'s blocks add the sites `<name>.block<i>` before it.
   * @param top registered as `classifier`.
   */
  constructor(
    readonly numClasses: number,
    readonly inChannels: number,
    stages: ReadonlyArray<readonly [string, FeatureLayer]>,
    top: ClassifierTop,
  ) {
    super();
    for (const [name, stage] of stages) this.addModule(name, stage);
    const chain = siteChain(stages);
    this.sites = chain.map((link) => link.site);
    this.chain = chain.map((link) => link.layer);
    this.top = this.addModule('classifier', top);
  }

  /** Logits `[batch, numClasses]` of NHWC images. */
  logits(x: tf.Tensor4D, options: Partial<ForwardOptions> = {}): tf.Tensor2D {
    this.checkInput(x);
    const training = options.training ?? this.training;
    return tf.tidy(() => this.top.forward(this.runChain(x, 0, this.chain.length, training), training));
  }

  /** Features at `site` (the output of that stage or block) of NHWC images. */
  head(x: tf.Tensor4D, site: string, options: Partial<ForwardOptions> = {}): tf.Tensor4D {
    this.checkInput(x);
    const training = options.training ?? this.training;
    return tf.tidy(() =>
      this.runChain(x, 0, siteIndex(this.constructor.name, this.sites, site) + 1, training),
    );
  }

  /** Logits from features at `site`, as `head(x, site)` returns them. */
  tail(features: tf.Tensor4D, site: string, options: Partial<ForwardOptions> = {}): tf.Tensor2D {
    const training = options.training ?? this.training;
    const from = siteIndex(this.constructor.name, this.sites, site) + 1;
    return tf.tidy(() =>
      this.top.forward(this.runChain(features, from, this.chain.length, training), training),
    );
  }

  private runChain(x: tf.Tensor4D, from: number, to: number, training: boolean): tf.Tensor4D {
    let h = x;
    for (let i = from; i < to; i++) h = this.chain[i].forward(h, training);
    return h;
  }

  private checkInput(x: tf.Tensor): void {
    checkImageChannels(this.constructor.name, x, this.inChannels);
  }
}
