/**
 * The three networks of a VAE-GAN: a convolutional encoder to a diagonal Gaussian, a decoder
 * that upsamples a code back to an image, and a discriminator that scores images as real.
 * With `batchNorm`, every hidden convolution is followed by BatchNorm, as in Stutz et al.'s
 * networks: without it, their recipe (lr 0.005, L1 reconstruction) saturates the decoder's output
 * at 0 in the first epoch and every image decodes to black. BatchNorm makes the modes matter:
 * `trainVaeGan` trains in training mode and leaves the model in evaluation mode, the mode the
 * code range, the grids and the on-manifold attack use.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, Linear, Module, type Rng } from '@perturb/core';

/** Architecture shared by the three networks. */
export interface NetworkShape {
  /** Image [height, width, channels]. */
  imageShape: readonly [number, number, number];
  /** Channels after each stride-2 stage, from the image inwards. */
  widths: readonly number[];
  /** Dimensions of the code z. */
  latentSize: number;
  /** BatchNorm after every hidden convolution. */
  batchNorm: boolean;
}

/** Side lengths and channels at the innermost stage: the image halved once per width. */
function bottleneck({ imageShape, widths }: NetworkShape): [number, number, number] {
  const factor = 2 ** widths.length;
  return [imageShape[0] / factor, imageShape[1] / factor, widths[widths.length - 1]];
}

/** `x` through `norm` when there is one. */
function normalize(norm: BatchNorm2d | null, x: tf.Tensor4D): tf.Tensor4D {
  return norm ? norm.forward(x) : x;
}

/** Stride-2 3×3 convs from `inChannels` through `widths`, each followed by `activation`. */
class DownsamplingStack extends Module {
  private readonly convs: Conv2d[];
  private readonly norms: Array<BatchNorm2d | null>;

  constructor(
    rng: Rng,
    inChannels: number,
    widths: readonly number[],
    batchNorm: boolean,
    private readonly activation: (x: tf.Tensor4D) => tf.Tensor4D,
  ) {
    super();
    this.convs = widths.map((width, i) =>
      this.addModule(String(i), new Conv2d(rng, i === 0 ? inChannels : widths[i - 1], width, { stride: 2 })),
    );
    this.norms = widths.map((width, i) =>
      batchNorm ? this.addModule(`bn${i}`, new BatchNorm2d(width)) : null,
    );
  }

  /** Features flattened per sample, [N, features]. */
  forward(x: tf.Tensor4D): tf.Tensor2D {
    const features = this.convs.reduce(
      (h, conv, i) => this.activation(normalize(this.norms[i], conv.forward(h))),
      x,
    );
    return tf.reshape(features, [x.shape[0], -1]);
  }
}

/** Image → mean and log-variance of q(z|x). */
export class Encoder extends Module {
  private readonly stack: DownsamplingStack;
  private readonly head: Linear;

  constructor(rng: Rng, shape: NetworkShape) {
    super();
    const [h, w, c] = bottleneck(shape);
    this.stack = this.addModule(
      'convs',
      new DownsamplingStack(rng, shape.imageShape[2], shape.widths, shape.batchNorm, tf.relu),
    );
    this.head = this.addModule('head', new Linear(rng, h * w * c, 2 * shape.latentSize));
  }

  forward(x: tf.Tensor4D): { mean: tf.Tensor2D; logVar: tf.Tensor2D } {
    const [mean, logVar] = tf.split(this.head.forward(this.stack.forward(x)), 2, 1) as [
      tf.Tensor2D,
      tf.Tensor2D,
    ];
    return { mean, logVar };
  }
}

/**
 * Code → image in [0, 1]: linear → reshape → (nearest-neighbour ×2, 3×3 conv, BatchNorm with
 * `batchNorm`, ReLU) per stage → 3×3 conv → sigmoid.
 */
export class Decoder extends Module {
  private readonly inner: [number, number, number];
  private readonly project: Linear;
  private readonly upsampling: Conv2d[];
  private readonly norms: Array<BatchNorm2d | null>;
  private readonly output: Conv2d;

  constructor(rng: Rng, shape: NetworkShape) {
    super();
    this.inner = bottleneck(shape);
    const [h, w, c] = this.inner;
    this.project = this.addModule('project', new Linear(rng, shape.latentSize, h * w * c));
    // Channels run the encoder's widths backwards; the last stage keeps the first width.
    const channels = [...shape.widths].reverse();
    const outputs = channels.map((_, i) => channels[Math.min(i + 1, channels.length - 1)]);
    this.upsampling = channels.map((width, i) =>
      this.addModule(`up${i}`, new Conv2d(rng, width, outputs[i])),
    );
    this.norms = outputs.map((width, i) =>
      shape.batchNorm ? this.addModule(`bn${i}`, new BatchNorm2d(width)) : null,
    );
    this.output = this.addModule(
      'output',
      new Conv2d(rng, shape.widths[0], shape.imageShape[2], { init: 'uniform' }),
    );
  }

  forward(z: tf.Tensor2D): tf.Tensor4D {
    let h = tf.reshape(tf.relu(this.project.forward(z)), [z.shape[0], ...this.inner]) as tf.Tensor4D;
    this.upsampling.forEach((conv, i) => {
      const upsampled = tf.image.resizeNearestNeighbor(h, [h.shape[1] * 2, h.shape[2] * 2]);
      h = tf.relu(normalize(this.norms[i], conv.forward(upsampled)));
    });
    return tf.sigmoid(this.output.forward(h));
  }
}

/** Image → logit of "real". */
export class Discriminator extends Module {
  private readonly stack: DownsamplingStack;
  private readonly head: Linear;

  constructor(rng: Rng, shape: NetworkShape) {
    super();
    const [h, w, c] = bottleneck(shape);
    this.stack = this.addModule(
      'convs',
      new DownsamplingStack(rng, shape.imageShape[2], shape.widths, shape.batchNorm, (x) =>
        tf.leakyRelu(x, 0.2),
      ),
    );
    this.head = this.addModule('head', new Linear(rng, h * w * c, 1));
  }

  /** Logits, [N]. */
  forward(x: tf.Tensor4D): tf.Tensor1D {
    return tf.reshape(this.head.forward(this.stack.forward(x)), [-1]);
  }
}
