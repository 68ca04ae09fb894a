/**
 * ResNet building blocks shared by the dense models (DeepLabV3+, Faster R-CNN): conv–BN–ReLU,
 * basic blocks and bottlenecks with dilation, the ImageNet- and CIFAR-sized stems, and the four
 * stages of ResNet-18/34/50 built from them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module';
import type { Rng } from '../rng';
import { BatchNorm2d } from './batchnorm';
import { Conv2d } from './conv2d';

/** A module mapping NHWC features to NHWC features, with BatchNorm in `training` mode or not. */
export type ResNetLayer = Module & { forward(x: tf.Tensor4D, training: boolean): tf.Tensor4D };

/** Conv (no bias) → BatchNorm → ReLU (or no activation). */
export class ConvBnAct extends Module {
  private readonly conv: Conv2d;
  private readonly bn: BatchNorm2d;

  constructor(
    rng: Rng,
    cin: number,
    cout: number,
    options: { kernelSize?: number; stride?: number; dilation?: number },
    private readonly relu = true,
  ) {
    super();
    this.conv = this.addModule('conv', new Conv2d(rng, cin, cout, { ...options, bias: false }));
    this.bn = this.addModule('bn', new BatchNorm2d(cout));
  }

  forward(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const y = this.bn.forward(this.conv.forward(x), training);
    return this.relu ? tf.relu(y) : y;
  }
}

/** ResNet basic block (two 3×3 convs) with dilation. */
class BasicBlock extends Module {
  static readonly expansion = 1;
  private readonly a: ConvBnAct;
  private readonly b: ConvBnAct;
  private readonly shortcut: ConvBnAct | null;

  constructor(rng: Rng, cin: number, width: number, stride: number, dilation: number) {
    super();
    this.a = this.addModule('conv1', new ConvBnAct(rng.child('conv1'), cin, width, { stride, dilation }));
    this.b = this.addModule('conv2', new ConvBnAct(rng.child('conv2'), width, width, { dilation }, false));
    this.shortcut =
      stride !== 1 || cin !== width
        ? this.addModule(
            'shortcut',
            new ConvBnAct(rng.child('shortcut'), cin, width, { kernelSize: 1, stride }, false),
          )
        : null;
  }

  forward(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const y = this.b.forward(this.a.forward(x, training), training);
    return tf.relu(tf.add<tf.Tensor4D>(y, this.shortcut ? this.shortcut.forward(x, training) : x));
  }
}

/** ResNet bottleneck (1×1 → 3×3 → 1×1 ×4), stride and dilation on the 3×3 conv. */
class Bottleneck extends Module {
  static readonly expansion = 4;
  private readonly a: ConvBnAct;
  private readonly b: ConvBnAct;
  private readonly c: ConvBnAct;
  private readonly shortcut: ConvBnAct | null;

  constructor(rng: Rng, cin: number, width: number, stride: number, dilation: number) {
    super();
    const cout = width * Bottleneck.expansion;
    this.a = this.addModule('conv1', new ConvBnAct(rng.child('conv1'), cin, width, { kernelSize: 1 }));
    this.b = this.addModule('conv2', new ConvBnAct(rng.child('conv2'), width, width, { stride, dilation }));
    this.c = this.addModule(
      'conv3',
      new ConvBnAct(rng.child('conv3'), width, cout, { kernelSize: 1 }, false),
    );
    this.shortcut =
      stride !== 1 || cin !== cout
        ? this.addModule(
            'shortcut',
            new ConvBnAct(rng.child('shortcut'), cin, cout, { kernelSize: 1, stride }, false),
          )
        : null;
  }

  forward(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const y = this.c.forward(this.b.forward(this.a.forward(x, training), training), training);
    return tf.relu(tf.add<tf.Tensor4D>(y, this.shortcut ? this.shortcut.forward(x, training) : x));
  }
}

/** A chain of layers registered as `0`, `1`, …. */
export class Sequence extends Module {
  private readonly items: ResNetLayer[];
  constructor(items: ResNetLayer[]) {
    super();
    this.items = items.map((item, i) => this.addModule(String(i), item));
  }
  forward(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return this.items.reduce((h, item) => item.forward(h, training), x);
  }
}

class Stem extends Module {
  private readonly conv: ConvBnAct;
  constructor(
    rng: Rng,
    cin: number,
    cout: number,
    private readonly kind: ResNetStem,
  ) {
    super();
    this.conv = this.addModule(
      'conv',
      new ConvBnAct(rng, cin, cout, { kernelSize: kind === 'imagenet' ? 7 : 3, stride: 2 }),
    );
  }
  forward(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const y = this.conv.forward(x, training);
    return this.kind === 'imagenet' ? tf.maxPool(y, 3, 2, 'same') : y;
  }
}

/** Block type and blocks per stage of each ResNet depth. */
export const RESNET_BACKBONES = {
  resnet18: { block: 'basic', blocks: [2, 2, 2, 2] },
  resnet34: { block: 'basic', blocks: [3, 4, 6, 3] },
  resnet50: { block: 'bottleneck', blocks: [3, 4, 6, 3] },
} as const;

/** A ResNet depth. */
export type ResNetBackbone = keyof typeof RESNET_BACKBONES;

/** `'imagenet'`: 7×7/2 conv + 3×3/2 max pool (stride 4); `'cifar'`: one 3×3/2 conv (stride 2). */
export type ResNetStem = 'imagenet' | 'cifar';

/** Options of {@link resnetStages}. */
export interface ResNetStagesOptions {
  /** Seeded stream for the weights; stage `s` draws from `rng.child(s)`. */
  rng: Rng;
  /** Image channels. */
  inChannels: number;
  /** Depth. */
  backbone: ResNetBackbone;
  /** Blocks per stage, overriding the depth's (e.g. `[1, 1, 1, 1]` for tiny models). */
  blocks?: readonly [number, number, number, number];
  /** Channels of the first stage; later stages double it. */
  width: number;
  stem: ResNetStem;
  /**
   * Largest stride: stages past it trade their stride for dilation, as torchvision's
   * `replace_stride_with_dilation` does (a stage's first block keeps the previous dilation).
   * Default none (every stage strides).
   */
  outputStride?: number;
}

/** One stage of a ResNet: its name, its layers, and the stride and channels of its output. */
export interface ResNetStage {
  name: 'stem' | 'layer1' | 'layer2' | 'layer3' | 'layer4';
  module: ResNetLayer;
  /** Input pixels per output pixel. */
  stride: number;
  channels: number;
}

/** The stem and four stages of a ResNet, unregistered: the caller adds each under its name. */
export function resnetStages(options: ResNetStagesOptions): ResNetStage[] {
  const { rng, width } = options;
  const spec = RESNET_BACKBONES[options.backbone];
  const blocks = options.blocks ?? spec.blocks;
  const Block = spec.block === 'basic' ? BasicBlock : Bottleneck;
  const outputStride = options.outputStride ?? Infinity;
  let current = options.stem === 'imagenet' ? 4 : 2;
  const stages: ResNetStage[] = [
    {
      name: 'stem',
      module: new Stem(rng.child('stem'), options.inChannels, width, options.stem),
      stride: current,
      channels: width,
    },
  ];
  let dilation = 1;
  let cin = width;
  for (let s = 0; s < 4; s++) {
    const name = `layer${s + 1}` as ResNetStage['name'];
    const planes = width * 2 ** s;
    let stride = s === 0 ? 1 : 2;
    const previousDilation = dilation;
    if (current * stride > outputStride) {
      dilation *= stride;
      stride = 1;
    }
    current *= stride;
    const stageRng = rng.child(name);
    const items: ResNetLayer[] = [];
    for (let b = 0; b < blocks[s]; b++) {
      items.push(
        new Block(
          stageRng.child(String(b)),
          b === 0 ? cin : planes * Block.expansion,
          planes,
          b === 0 ? stride : 1,
          b === 0 ? previousDilation : dilation,
        ),
      );
      cin = planes * Block.expansion;
    }
    stages.push({ name, module: new Sequence(items), stride: current, channels: cin });
  }
  return stages;
}

/**
 * Moves each `block`×`block` patch of pixels into channels (`[N, H, W, C]` → `[N, H/b, W/b,
 * b²C]`), so finer features can ride along a coarser site's tensor; {@link depthToSpace}
 * inverts it. Reshapes and transposes only, so gradients are exact on every backend.
 */
export function spaceToDepth(x: tf.Tensor4D, block: number): tf.Tensor4D {
  if (block === 1) return x;
  const [n, h, w, c] = x.shape;
  const rows = tf.reshape(x, [n * (h / block), block, w / block, block * c]);
  return tf.reshape(tf.transpose(rows, [0, 2, 1, 3]), [n, h / block, w / block, block * block * c]);
}

/** The inverse of {@link spaceToDepth}. */
export function depthToSpace(x: tf.Tensor4D, block: number): tf.Tensor4D {
  if (block === 1) return x;
  const [n, h, w, c] = x.shape;
  const cells = tf.reshape(x, [n * h, w, block, c / block]);
  return tf.reshape(tf.transpose(cells, [0, 2, 1, 3]), [n, h * block, w * block, c / (block * block)]);
}
