/**
 * DeepLabV3+ (Chen et al., ECCV 2018) on a ResNet backbone, as a perturb `Module` with named
 * feature sites for A-FAN-style feature perturbation.
 *
 * Backbone: ResNet-18/34 (basic blocks) or ResNet-50 (bottlenecks), with an ImageNet stem
 * (7×7/2 conv + 3×3/2 max pool, stride 4) or a CIFAR-sized stem (one 3×3/2 conv, stride 2).
 * Stages past the output stride (8 or 16) trade their stride for dilation, as torchvision's
 * `replace_stride_with_dilation` does (a stage's first block keeps the previous dilation).
 * ASPP: a 1×1 branch, three 3×3 atrous branches at rates 6/12/18 scaled by 16/outputStride,
 * and an image-pooling branch, projected by a 1×1 conv (no dropout, so the forward pass is
 * deterministic). Decoder: the first stage at stride 4 gives the low-level features (1×1 conv
 * to 48 channels), fused with the ASPP output upsampled to stride 4, two 3×3 convs, a 1×1
 * classifier, and bilinear upsampling to the input size (half-pixel centres, as PyTorch's
 * `align_corners=False`).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  Conv2d,
  ConvBnAct,
  Module,
  PerturbError,
  Sequence,
  checkImageChannels,
  checkImageSides,
  depthToSpace,
  parseOptions,
  resnetStages,
  siteIndex,
  spaceToDepth,
} from '@perturb/core';
import type { ForwardOptions, Model, ResNetLayer, Rng, Task } from '@perturb/core';
import { type DeepLabV3PlusConfig, deeplabModelOptions } from './deeplab-options';
import { segmentationTask } from './task';

/**
 * Options of {@link DeepLabV3Plus}: the `deeplabv3plus` config options (with their defaults, a
 * preset such as `tiny`) and what the data decides.
 */
export type DeepLabV3PlusOptions = DeepLabV3PlusConfig & {
  /** Seeded stream for the weights. */
  rng: Rng;
  /** Output classes (including background). */
  numClasses: number;
  /** Image channels. Default 3. */
  inChannels?: number;
};

/** The feature sites of {@link DeepLabV3Plus}, in forward order. */
export const DEEPLAB_SITES = ['stem', 'layer1', 'layer2', 'layer3', 'layer4', 'aspp', 'decoder'] as const;
export type DeepLabSite = (typeof DEEPLAB_SITES)[number];

/**
 * `[outSize, inSize]` weights of 1-D linear interpolation with half-pixel centres, source
 * positions clamped to the edge (PyTorch's `align_corners=False`).
 */
function interpolationMatrix(outSize: number, inSize: number): tf.Tensor2D {
  const weights = new Float32Array(outSize * inSize);
  for (let o = 0; o < outSize; o++) {
    const source = Math.min(Math.max(((o + 0.5) * inSize) / outSize - 0.5, 0), inSize - 1);
    const i0 = Math.floor(source);
    const i1 = Math.min(i0 + 1, inSize - 1);
    const t = source - i0;
    weights[o * inSize + i0] += 1 - t;
    weights[o * inSize + i1] += t;
  }
  return tf.tensor2d(weights, [outSize, inSize]);
}

/**
 * Bilinear resize with half-pixel centres, as two matrix products (rows, then columns). tfjs's
 * own `resizeBilinear` gradient ignores `halfPixelCenters`, so it would train on wrong
 * gradients; matrix products have exact ones on every backend.
 */
export function resizeBilinear(x: tf.Tensor4D, height: number, width: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  if (h === height && w === width) return x;
  return tf.tidy(() => {
    const rows = tf.matMul(
      interpolationMatrix(height, h),
      tf.reshape(tf.transpose(x, [1, 0, 2, 3]), [h, n * w * c]),
    );
    const byColumn = tf.reshape(tf.transpose(tf.reshape(rows, [height, n, w, c]), [2, 1, 0, 3]), [
      w,
      n * height * c,
    ]);
    const cols = tf.matMul(interpolationMatrix(width, w), byColumn);
    return tf.transpose(tf.reshape(cols, [width, n, height, c]), [1, 2, 0, 3]) as tf.Tensor4D;
  });
}

function upsample(x: tf.Tensor4D, height: number, width: number): tf.Tensor4D {
  return resizeBilinear(x, height, width);
}

/** Atrous spatial pyramid pooling. */
class Aspp extends Module {
  private readonly branches: ConvBnAct[];
  private readonly pooling: ConvBnAct;
  private readonly project: ConvBnAct;

  constructor(rng: Rng, cin: number, channels: number, rates: readonly number[]) {
    super();
    this.branches = [
      this.addModule('branch0', new ConvBnAct(rng.child('branch0'), cin, channels, { kernelSize: 1 })),
      ...rates.map((rate, i) =>
        this.addModule(
          `branch${i + 1}`,
          new ConvBnAct(rng.child(`branch${i + 1}`), cin, channels, { dilation: rate }),
        ),
      ),
    ];
    this.pooling = this.addModule(
      'pooling',
      new ConvBnAct(rng.child('pooling'), cin, channels, { kernelSize: 1 }),
    );
    this.project = this.addModule(
      'project',
      new ConvBnAct(rng.child('project'), channels * (rates.length + 2), channels, { kernelSize: 1 }),
    );
  }

  forward(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const [n, h, w] = x.shape;
    const pooled = this.pooling.forward(tf.mean(x, [1, 2], true) as tf.Tensor4D, training);
    const outs = [
      ...this.branches.map((branch) => branch.forward(x, training)),
      tf.broadcastTo(pooled, [n, h, w, pooled.shape[3]]) as tf.Tensor4D,
    ];
    return this.project.forward(tf.concat(outs, 3), training);
  }
}

/** What flows between steps: the deep features and, once computed, the stride-4 low-level ones. */
interface FlowState {
  x: tf.Tensor4D;
  low: tf.Tensor4D | null;
}

/**
 * DeepLabV3+ with a ResNet backbone. `logits(x)` maps NHWC images `[N, H, W, inChannels]` (H
 * and W multiples of the output stride) to per-pixel logits `[N, H, W, numClasses]`.
 *
 * Feature sites: `stem`, `layer1`…`layer4` (backbone stages), `aspp` (after the ASPP
 * projection) and `decoder` (after the decoder's 3×3 convs, before the classifier), with
 * `tail(head(x, s), s)` equal to `logits(x)`. At sites between the low-level stage and the
 * decoder, the decoder still needs the stride-4 low-level features, so the site's tensor
 * carries them too: its first {@link siteChannels} channels are the site's own features, the
 * rest the low-level features rearranged space-to-depth to the site's resolution. A feature
 * perturbation there therefore reaches everything the rest of the network reads.
 */
export class DeepLabV3Plus extends Module implements Model<tf.Tensor4D> {
  readonly sites: readonly DeepLabSite[] = DEEPLAB_SITES;
  readonly numClasses: number;
  /** Per-pixel classification against a batch's label map (`segmentationTask`). */
  readonly task: Task;
  readonly inChannels: number;
  readonly outputStride: number;
  readonly atrousRates: readonly number[];
  /** Input pixels per feature pixel at each site. */
  readonly siteStrides: Readonly<Record<DeepLabSite, number>>;
  /** Channels of each site's own features (without the packed low-level ones). */
  readonly siteChannels: Readonly<Record<DeepLabSite, number>>;
  /** The backbone stage whose output is the decoder's low-level input (the first at stride 4). */
  readonly lowLevelSite: DeepLabSite;

  private readonly steps: ResNetLayer[];
  private readonly lowIndex: number;
  private readonly lowChannels: number;
  private readonly reduceLow: ConvBnAct;
  private readonly fuse: Sequence;
  private readonly classifier: Conv2d;

  constructor(options: DeepLabV3PlusOptions) {
    super();
    const { rng, numClasses, inChannels = 3, ...config } = options;
    const settings = parseOptions(deeplabModelOptions, config, 'deeplabv3plus options');
    const { stem, width, channels } = settings;
    this.numClasses = numClasses;
    this.inChannels = inChannels;
    this.outputStride = settings.outputStride;
    const stemStride = stem === 'imagenet' ? 4 : 2;
    if (this.outputStride < stemStride * 2) {
      throw new PerturbError(
        `outputStride ${this.outputStride} is not possible with the ${stem} stem`,
        `use one of ${[4, 8, 16, 32].filter((s) => s >= stemStride * 2).join(', ')}`,
      );
    }
    if (!Number.isInteger(this.numClasses) || this.numClasses < 2) {
      throw new PerturbError(
        `numClasses must be an integer ≥ 2, got ${this.numClasses}`,
        'count background as a class',
      );
    }
    this.task = segmentationTask(this.numClasses);
    this.atrousRates = settings.atrousRates ?? [6, 12, 18].map((r) => (r * 16) / this.outputStride);

    const strides: Partial<Record<DeepLabSite, number>> = {};
    const siteChannels: Partial<Record<DeepLabSite, number>> = {};
    const stages = resnetStages({
      rng,
      inChannels: this.inChannels,
      backbone: settings.backbone,
      blocks: settings.blocks,
      width,
      stem,
      outputStride: this.outputStride,
    });
    const steps: ResNetLayer[] = stages.map((stage) => {
      strides[stage.name] = stage.stride;
      siteChannels[stage.name] = stage.channels;
      return this.addModule(stage.name, stage.module);
    });
    // The decoder's low-level input: the first stage (not the stem) at stride 4.
    this.lowIndex = stages.findIndex((stage, i) => i > 0 && stage.stride === 4);
    this.lowLevelSite = DEEPLAB_SITES[this.lowIndex];
    this.lowChannels = siteChannels[this.lowLevelSite]!;
    steps.push(
      this.addModule('aspp', new Aspp(rng.child('aspp'), stages[4].channels, channels, this.atrousRates)),
    );
    strides.aspp = this.outputStride;
    siteChannels.aspp = channels;
    const lowOut = settings.lowLevelChannels;
    this.reduceLow = this.addModule(
      'lowLevel',
      new ConvBnAct(rng.child('lowLevel'), this.lowChannels, lowOut, { kernelSize: 1 }),
    );
    this.fuse = this.addModule(
      'decoder',
      new Sequence([
        new ConvBnAct(rng.child('decoder0'), channels + lowOut, channels, {}),
        new ConvBnAct(rng.child('decoder1'), channels, channels, {}),
      ]),
    );
    strides.decoder = 4;
    siteChannels.decoder = channels;
    this.classifier = this.addModule(
      'classifier',
      new Conv2d(rng.child('classifier'), channels, this.numClasses, { kernelSize: 1 }),
    );
    this.steps = steps;
    this.siteStrides = strides as Record<DeepLabSite, number>;
    this.siteChannels = siteChannels as Record<DeepLabSite, number>;
  }

  /** Per-pixel logits `[N, H, W, numClasses]` of NHWC images. */
  logits(x: tf.Tensor4D, options: Partial<ForwardOptions> = {}): tf.Tensor4D {
    this.checkInput(x);
    const training = options.training ?? this.training;
    return tf.tidy(() => this.run({ x, low: null }, 0, training));
  }

  /** Features at `site` of NHWC images (see the class comment for what they hold). */
  head(x: tf.Tensor4D, site: string, options: Partial<ForwardOptions> = {}): tf.Tensor4D {
    this.checkInput(x);
    const training = options.training ?? this.training;
    const index = siteIndex('DeepLabV3Plus', DEEPLAB_SITES, site);
    return tf.tidy(() => {
      let state: FlowState = { x, low: null };
      for (let i = 0; i <= index; i++) state = this.step(state, i, training);
      return this.pack(state, index);
    });
  }

  /** Logits `[N, H, W, numClasses]` from features at `site`, as `head` returns them. */
  tail(features: tf.Tensor4D, site: string, options: Partial<ForwardOptions> = {}): tf.Tensor4D {
    const training = options.training ?? this.training;
    const index = siteIndex('DeepLabV3Plus', DEEPLAB_SITES, site);
    const expected = this.featureChannels(site as DeepLabSite);
    if (features.rank !== 4 || features.shape[3] !== expected) {
      throw new PerturbError(
        `features for site "${site}" must have ${expected} channels, got shape [${features.shape}]`,
        `pass what head(x, '${site}') returns`,
      );
    }
    return tf.tidy(() => this.run(this.unpack(features, index), index + 1, training));
  }

  /** Channels of the tensor `head` returns at `site` (its own plus the packed low-level ones). */
  featureChannels(site: DeepLabSite): number {
    const index = siteIndex('DeepLabV3Plus', DEEPLAB_SITES, site);
    if (!this.packs(index)) return this.siteChannels[site];
    const block = this.siteStrides[site] / 4;
    return this.siteChannels[site] + this.lowChannels * block * block;
  }

  private packs(index: number): boolean {
    return index > this.lowIndex && index < DEEPLAB_SITES.indexOf('decoder');
  }

  private pack(state: FlowState, index: number): tf.Tensor4D {
    if (!this.packs(index)) return state.x;
    const block = this.siteStrides[DEEPLAB_SITES[index]] / 4;
    return tf.concat([state.x, spaceToDepth(state.low!, block)], 3);
  }

  private unpack(features: tf.Tensor4D, index: number): FlowState {
    if (index === this.lowIndex) return { x: features, low: features };
    if (!this.packs(index)) return { x: features, low: null };
    const site = DEEPLAB_SITES[index];
    const own = this.siteChannels[site];
    const [x, packed] = tf.split(features, [own, features.shape[3] - own], 3) as [tf.Tensor4D, tf.Tensor4D];
    return { x, low: depthToSpace(packed, this.siteStrides[site] / 4) };
  }

  /** Runs step `index` (0 stem … 4 layer4, 5 aspp, 6 decoder). */
  private step(state: FlowState, index: number, training: boolean): FlowState {
    if (index < 6) {
      const x = this.steps[index].forward(state.x, training);
      return { x, low: index === this.lowIndex ? x : state.low };
    }
    const low = this.reduceLow.forward(state.low!, training);
    const up = upsample(state.x, low.shape[1], low.shape[2]);
    return { x: this.fuse.forward(tf.concat([up, low], 3), training), low: null };
  }

  private run(state: FlowState, from: number, training: boolean): tf.Tensor4D {
    const stride = from === 0 ? 1 : this.siteStrides[DEEPLAB_SITES[from - 1]];
    const height = state.x.shape[1] * stride;
    const width = state.x.shape[2] * stride;
    let s = state;
    for (let i = from; i < DEEPLAB_SITES.length; i++) s = this.step(s, i, training);
    return upsample(this.classifier.forward(s.x), height, width);
  }

  private checkInput(x: tf.Tensor4D): void {
    checkImageChannels('DeepLabV3Plus', x, this.inChannels);
    checkImageSides(`DeepLabV3Plus with output stride ${this.outputStride}`, x, this.outputStride);
  }
}
