/**
 * The convolution every network inside the flow uses (stride 1, 'same' padding, bias, optional
 * ReLU), as one op with a hand-written gradient chosen for speed on wasm:
 *
 * - forward: one FusedConv2D kernel (conv + bias + ReLU in a single XNNPACK pass);
 * - bias gradient: a sum over the rows of the output gradient viewed as [N·H·W, C];
 * - filter gradient of a k×k conv with few input channels (the first conv of a coupling network
 *   sees half of a squeezed image, 2–24 channels) or few output channels (the zero-initialized
 *   output convs): one plain matMul of a transposed patch matrix [k²·C, N·H·W] of the small side
 *   with the large side viewed as [N·H·W, C'], instead of Conv2DBackpropFilter, which runs these
 *   shapes at a small fraction of XNNPACK's forward speed (3×3, 2 → 128 channels, 64×16×16:
 *   ~4 ms against ~68 ms; 3×3, 128 → 4 channels: ~15 ms against ~40 ms);
 * - input gradient: the backend's Conv2DBackpropInput.
 *
 * tf.customGrad computes every input's gradient at once, so the inverse pass uses a variant
 * that treats the weights as constants (`gradients: 'input'`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Conv2d } from '@perturb/core';

/** Largest k²·C of the small side for which the patch-matrix filter gradient is used. */
const MAX_PATCH_ROWS = 144;

/** ReLU after the bias, or nothing. */
export type ConvActivation = 'relu' | 'linear';

/**
 * Which gradients a convolution provides: `'all'` (input, filter and bias, for training) or
 * `'input'` (the weights are constants: for the inverse pass, which latent-space attacks
 * differentiate in its input only, so no time goes into filter gradients nobody reads).
 */
export type ConvGradients = 'all' | 'input';

/** activation(conv2d(x, conv.weight) + conv.bias), stride 1, 'same' padding (odd square kernels). */
export function convSame(
  x: tf.Tensor4D,
  conv: Conv2d,
  activation: ConvActivation,
  gradients: ConvGradients = 'all',
): tf.Tensor4D {
  if (conv.bias === null) throw new Error('convSame needs a convolution with a bias');
  if (gradients === 'input')
    return convInputGradientOnly(x, conv.weight as tf.Tensor4D, conv.bias as tf.Tensor1D, activation);
  return (activation === 'relu' ? convBiasRelu : convBias)(x, conv.weight, conv.bias) as tf.Tensor4D;
}

/** The same values as the full op (the same fused kernel), differentiable in x only. */
function convInputGradientOnly(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor1D,
  activation: ConvActivation,
): tf.Tensor4D {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
    const value = fusedConv(input, filter, bias, activation);
    save([value]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const dPre = (activation === 'relu' ? tf.mul(dy, tf.step(saved[0])) : dy) as tf.Tensor4D;
        return tf.conv2dTranspose(dPre, filter, input.shape, 1, 'same');
      },
    };
  });
  return op(x) as tf.Tensor4D;
}

function convOp(activation: ConvActivation) {
  return tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, filter, bias, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D, tf.GradSaveFunc];
    const value = fusedConv(x, filter, bias, activation);
    save([x, filter, value]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, w, y] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
        // ReLU passes the gradient where its output is positive.
        const dPre = (activation === 'relu' ? tf.mul(dy, tf.step(y)) : dy) as tf.Tensor4D;
        const cout = w.shape[3];
        const rows = tf.reshape(dPre, [dPre.size / cout, cout]) as tf.Tensor2D;
        return [
          tf.conv2dTranspose(dPre, w, xs.shape, 1, 'same'),
          filterGradient(xs, dPre, rows, w.shape),
          tf.sum(rows, 0),
        ];
      },
    };
  });
}

const convBias = convOp('linear');
const convBiasRelu = convOp('relu');

/**
 * relu(conv1×1(relu(conv_k(x, first)), second)): the hidden layers of a coupling network, as one
 * op when `first` has few input channels and `second` is 1×1. Its backward pass gets the
 * 1×1 filter gradient h1ᵀ·dy2 from h1ᵀ = relu(W1ᵀ·Pᵀ + b1), recomputed as a small matMul
 * from the input's transposed patches Pᵀ (which the first filter gradient needs anyway),
 * instead of transposing the large hidden activation h1 (what Conv2DBackpropFilter does).
 */
export function hiddenLayers(
  x: tf.Tensor4D,
  first: Conv2d,
  second: Conv2d,
  gradients: ConvGradients = 'all',
): tf.Tensor4D {
  const [k, , cin] = first.weight.shape;
  const fusable =
    first.bias !== null &&
    second.bias !== null &&
    second.weight.shape[0] === 1 &&
    k * k * cin <= MAX_PATCH_ROWS;
  if (gradients === 'input' || !fusable) {
    return convSame(convSame(x, first, 'relu', gradients), second, 'relu', gradients);
  }
  return hiddenPair(x, first.weight, first.bias!, second.weight, second.bias!) as tf.Tensor4D;
}

const hiddenPair = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x, w1, b1, w2, b2, save] = args as [
    tf.Tensor4D,
    tf.Tensor4D,
    tf.Tensor1D,
    tf.Tensor4D,
    tf.Tensor1D,
    tf.GradSaveFunc,
  ];
  const h1 = fusedConv(x, w1, b1, 'relu');
  const h2 = fusedConv(h1, w2, b2, 'relu');
  save([x, w1, b1, w2, h1, h2]);
  return {
    value: h2,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, w1s, b1s, w2s, h1s, h2s] = saved as [
        tf.Tensor4D,
        tf.Tensor4D,
        tf.Tensor1D,
        tf.Tensor4D,
        tf.Tensor4D,
        tf.Tensor4D,
      ];
      const [k, , cin, hidden] = w1s.shape;
      const cout = w2s.shape[3];
      const patchesT = transposedPatches(xs, k, false); // [k²·cin, M]
      const w1Rows = tf.reshape(w1s, [k * k * cin, hidden]) as tf.Tensor2D;
      // h1ᵀ [hidden, M], the same values as h1 (ReLU of the same sums), in the layout the matMul wants.
      const h1T = tf.relu(tf.add(tf.matMul(tf.transpose(w1Rows), patchesT), tf.reshape(b1s, [hidden, 1])));
      const dPre2 = tf.mul(dy, tf.step(h2s)) as tf.Tensor4D;
      const rows2 = tf.reshape(dPre2, [-1, cout]) as tf.Tensor2D;
      const dw2 = tf.reshape(tf.matMul(h1T, rows2), w2s.shape);
      // A 1×1 conv with the transposed filter: XNNPACK's convolution runs this product ~25%
      // faster than the same matMul on wasm.
      const w2T = tf.reshape(tf.transpose(tf.reshape(w2s, [hidden, cout])), [
        1,
        1,
        cout,
        hidden,
      ]) as tf.Tensor4D;
      const dh1 = tf.conv2d(dPre2, w2T, 1, 'valid');
      const rows1 = tf.reshape(tf.mul(dh1, tf.step(h1s)), [-1, hidden]) as tf.Tensor2D;
      const dw1 = tf.reshape(tf.matMul(patchesT, rows1), w1s.shape);
      const dx = tf.conv2dTranspose(tf.reshape(rows1, h1s.shape) as tf.Tensor4D, w1s, xs.shape, 1, 'same');
      return [dx, dw1, tf.sum(rows1, 0), dw2, tf.sum(rows2, 0)];
    },
  };
});

function fusedConv(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor1D,
  activation: ConvActivation,
): tf.Tensor4D {
  return tf
    .engine()
    .runKernel(
      'FusedConv2D',
      { x, filter, bias },
      { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1], activation },
    ) as tf.Tensor4D;
}

/** ∂L/∂W (HWIO) of a stride-1 'same' conv from its input and output gradient. */
function filterGradient(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  dyRows: tf.Tensor2D,
  shape: [number, number, number, number],
): tf.Tensor4D {
  const [k, , cin, cout] = shape;
  if (k > 1 && k * k * Math.min(cin, cout) <= MAX_PATCH_ROWS) {
    if (cin <= cout) {
      // Rows (ky, kx, ci) of the input's patches times the output gradient: HWIO directly.
      return tf.reshape<tf.Rank.R4>(tf.matMul(transposedPatches(x, k, false), dyRows), shape);
    }
    // dW[ky,kx,ci,co] = Σ x[p, ci]·dy[p − (ky,kx) + pad, co]: patches of dy with flipped taps.
    const xRows = tf.reshape(x, [x.size / cin, cin]) as tf.Tensor2D;
    const byOutput = tf.reshape(tf.matMul(transposedPatches(dy, k, true), xRows), [k, k, cout, cin]);
    return tf.transpose<tf.Tensor4D>(byOutput as tf.Tensor4D, [0, 1, 3, 2]);
  }
  return tf
    .engine()
    .runKernel(
      'Conv2DBackpropFilter',
      { x, dy },
      { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', filterShape: shape },
    ) as tf.Tensor4D;
}

/**
 * The transposed patch matrix of a k×k 'same' window over t [N, H, W, C]: row (ky·k + kx)·C + c,
 * column n·H·W + y·W + x holds t[n, y + ky − pad, x + kx − pad, c] (zero outside), or with
 * `flipped`, t[n, y − ky + pad, x − kx + pad, c]. Built from one transpose of t (small: C is
 * small), one pad and k² slices.
 */
function transposedPatches(t: tf.Tensor4D, k: number, flipped: boolean): tf.Tensor2D {
  const [n, h, w, c] = t.shape;
  const pad = (k - 1) / 2;
  const channelsFirst = tf.pad(tf.transpose(t, [3, 0, 1, 2]), [
    [0, 0],
    [0, 0],
    [pad, pad],
    [pad, pad],
  ]);
  const taps: tf.Tensor[] = [];
  for (let ky = 0; ky < k; ky++) {
    for (let kx = 0; kx < k; kx++) {
      const [y0, x0] = flipped ? [2 * pad - ky, 2 * pad - kx] : [ky, kx];
      taps.push(tf.slice(channelsFirst, [0, 0, y0, x0], [c, n, h, w]));
    }
  }
  return tf.reshape(tf.stack(taps), [k * k * c, n * h * w]);
}
