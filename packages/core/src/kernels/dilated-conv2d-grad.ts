/**
 * The gradient of a dilated `Conv2D`. tfjs-core's own Conv2D gradient refuses dilation rates
 * above 1 on every backend ("dilation rates greater than 1 are not yet supported in
 * gradients"), and its `Conv2DBackpropInput`/`Conv2DBackpropFilter` kernels carry no dilation
 * attribute at all, so atrous networks (DeepLab's ASPP, output-stride-8/16 backbones) cannot
 * train. This gradient expresses both derivatives of a dilated, stride-1 convolution as
 * forward convolutions, which every backend has (on wasm: XNNPACK) and which cost the same
 * multiply-adds as the undilated gradients:
 *
 * - dx = dy ⋆ W′ with the same dilation, W′ the filter flipped in space with its in/out
 *   channels swapped, padded so the result has the input's size;
 * - dW = xᵀ ⋆ dyᵀ with the dilation as the *stride*: x `[ci, h, w, n]` is the input, dy
 *   `[oh, ow, n, co]` the filter, so output position (kh, kw) sums x at kh·d + oh − top.
 *
 * Undilated convolutions keep tfjs's gradient (and perturb's wasm backprop kernels).
 * tfjs allows a dilation above 1 only with stride 1, so this is the only case it must handle.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs-core';
import { conv2dInfo, transposedPadding, type PadAttr } from './conv-geometry';

interface Conv2DAttrs {
  strides: number | [number, number];
  pad: PadAttr;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

type Pad4 = [[number, number], [number, number], [number, number], [number, number]];

function pair(value: number | [number, number] | undefined): [number, number] {
  if (value === undefined) return [1, 1];
  return typeof value === 'number' ? [value, value] : value;
}

/** dx of a stride-1 dilated convolution (NHWC). */
export function dilatedConv2dInputGradient(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: number[],
  attrs: Conv2DAttrs,
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = conv2dInfo(inputShape, filter.shape, attrs);
    const { dilationHeight: dh, dilationWidth: dw } = info;
    const rows = transposedPadding(info.inHeight, info.outHeight, info.filterHeight, dh, info.padInfo.top);
    const cols = transposedPadding(info.inWidth, info.outWidth, info.filterWidth, dw, info.padInfo.left);
    // [kh, kw, ci, co] → flipped [kh, kw, co, ci].
    const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
    const pad: Pad4 = [
      [0, 0],
      [rows.before, rows.after],
      [cols.before, cols.after],
      [0, 0],
    ];
    const dx = tf.conv2d(dy, flipped, 1, pad, 'NHWC', [dh, dw]);
    if (dx.shape[1] === info.inHeight && dx.shape[2] === info.inWidth && rows.crop === 0 && cols.crop === 0)
      return dx;
    return tf.slice(dx, [0, rows.crop, cols.crop, 0], [-1, info.inHeight, info.inWidth, -1]);
  });
}

/** dW of a stride-1 dilated convolution (NHWC), in the filter's HWIO layout. */
export function dilatedConv2dFilterGradient(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: number[],
  attrs: Conv2DAttrs,
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = conv2dInfo(x.shape, filterShape, attrs);
    const { top, left } = info.padInfo;
    const { inHeight, inWidth, outHeight, outWidth, filterHeight, filterWidth } = info;
    const { dilationHeight: dh, dilationWidth: dw } = info;
    // Rows/columns past the input that the last tap of the last output reads (zero padding).
    const bottom = Math.max(0, (filterHeight - 1) * dh + outHeight - 1 - top - (inHeight - 1));
    const right = Math.max(0, (filterWidth - 1) * dw + outWidth - 1 - left - (inWidth - 1));
    const xT = tf.transpose(x, [3, 1, 2, 0]) as tf.Tensor4D; // [ci, h, w, n]
    const dyT = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [oh, ow, n, co]
    const pad: Pad4 = [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ];
    const grad = tf.conv2d(xT, dyT, [dh, dw], pad, 'NHWC', 1); // [ci, ≥kh, ≥kw, co]
    const cropped =
      grad.shape[1] === filterHeight && grad.shape[2] === filterWidth
        ? grad
        : tf.slice(grad, [0, 0, 0, 0], [-1, filterHeight, filterWidth, -1]);
    return tf.transpose(cropped, [1, 2, 0, 3]) as tf.Tensor4D;
  });
}

/** Wraps tfjs's `Conv2D` gradient so that dilated convolutions get {@link dilatedConv2dInputGradient}/{@link dilatedConv2dFilterGradient}. */
export function dilatedConv2DGradConfig(undilated: GradConfig | undefined): GradConfig {
  return {
    kernelName: 'Conv2D',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
      const conv = attrs as unknown as Conv2DAttrs;
      const [dilationH, dilationW] = pair(conv.dilations);
      if (dilationH === 1 && dilationW === 1 && undilated) return undilated.gradFunc(dy, saved, attrs);
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const nchw = conv.dataFormat === 'NCHW';
      const toNhwc = (t: tf.Tensor4D) => (nchw ? (tf.transpose(t, [0, 2, 3, 1]) as tf.Tensor4D) : t);
      const fromNhwc = (t: tf.Tensor4D) => (nchw ? (tf.transpose(t, [0, 3, 1, 2]) as tf.Tensor4D) : t);
      const nhwcAttrs = { ...conv, dataFormat: 'NHWC' as const };
      return {
        x: () =>
          tf.tidy(() => {
            const xNhwc = toNhwc(x);
            return fromNhwc(
              dilatedConv2dInputGradient(toNhwc(dy as tf.Tensor4D), filter, xNhwc.shape, nhwcAttrs),
            );
          }),
        filter: () =>
          tf.tidy(() =>
            dilatedConv2dFilterGradient(toNhwc(x), toNhwc(dy as tf.Tensor4D), filter.shape, nhwcAttrs),
          ),
      };
    },
  };
}

let installed: GradConfig | null = null;

/**
 * Makes `tf.grad` work through dilated `tf.conv2d` on every backend by registering
 * {@link dilatedConv2DGradConfig} over tfjs's Conv2D gradient (kept for dilation 1).
 * Idempotent; returns whether this call installed it.
 */
export function registerDilatedConv2DGradient(): boolean {
  const current = tf.getGradient('Conv2D');
  if (installed && current === installed) return false;
  installed = dilatedConv2DGradConfig(current);
  tf.registerGradient(installed);
  return true;
}
