/** Gradients of a depthwise 2-D convolution (any channel multiplier, dilation) on wasm. */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { conv2dInfo, transposedPadding, type PadAttr } from './conv-geometry';
import { flipFilter, zeroDilate } from './rearrange';
import { withScope, type KernelArgs } from './wasm-context';

interface DepthwiseGradAttrs {
  strides: number | [number, number];
  dilations: number | [number, number];
  pad: PadAttr;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * dW[kh, kw, c, m] = Σ x[n, oh·s + kh·d − pad, ow·s + kw·d − pad, c] · dy[n, oh, ow, c·M + m],
 * accumulated in float64 straight from the wasm heap (a depthwise filter gradient is too small
 * a contraction per channel for a matmul to pay off).
 */
function depthwiseBackpropFilter(args: KernelArgs): TensorInfo {
  const attrs = args.attrs as unknown as DepthwiseGradAttrs & { filterShape: number[] };
  return withScope(args.backend, (scope) => {
    const { x, dy } = args.inputs;
    const info = conv2dInfo(x.shape, attrs.filterShape, attrs, true);
    const [kh, kw, channels, multiplier] = attrs.filterShape;
    const {
      inHeight,
      inWidth,
      outHeight,
      outWidth,
      strideHeight,
      strideWidth,
      dilationHeight,
      dilationWidth,
    } = info;
    const { top, left } = info.padInfo;
    const outChannels = channels * multiplier;
    const acc = new Float64Array(kh * kw * outChannels);
    const xs = scope.f32(x);
    const dys = scope.f32(dy);
    for (let n = 0; n < info.batchSize; n++) {
      for (let oh = 0; oh < outHeight; oh++) {
        for (let ow = 0; ow < outWidth; ow++) {
          const dyBase = ((n * outHeight + oh) * outWidth + ow) * outChannels;
          for (let i = 0; i < kh; i++) {
            const ih = oh * strideHeight + i * dilationHeight - top;
            if (ih < 0 || ih >= inHeight) continue;
            for (let j = 0; j < kw; j++) {
              const iw = ow * strideWidth + j * dilationWidth - left;
              if (iw < 0 || iw >= inWidth) continue;
              const xBase = ((n * inHeight + ih) * inWidth + iw) * channels;
              const accBase = (i * kw + j) * outChannels;
              for (let c = 0; c < channels; c++) {
                const xv = xs[xBase + c];
                for (let m = 0; m < multiplier; m++) {
                  const k = c * multiplier + m;
                  acc[accBase + k] += xv * dys[dyBase + k];
                }
              }
            }
          }
        }
      }
    }
    const out = scope.alloc(attrs.filterShape);
    scope.f32(out).set(acc);
    return scope.keep(out);
  });
}

/**
 * dx as the backend's XNNPACK depthwise convolution of the zero-dilated dy with the flipped
 * filter, one channel per (c, m) pair, then summed over the multiplier.
 */
function depthwiseBackpropInput(args: KernelArgs): TensorInfo {
  const attrs = args.attrs as unknown as DepthwiseGradAttrs & { inputShape: number[] };
  return withScope(args.backend, (scope) => {
    const { dy, filter } = args.inputs;
    const info = conv2dInfo(attrs.inputShape, filter.shape, attrs, true);
    const [kh, kw, channels, multiplier] = filter.shape;
    const dilated = zeroDilate(scope, dy, info.strideHeight, info.strideWidth);
    const [, dh, dw] = dilated.shape;
    const rows = transposedPadding(info.inHeight, dh, kh, info.dilationHeight, info.padInfo.top);
    const cols = transposedPadding(info.inWidth, dw, kw, info.dilationWidth, info.padInfo.left);
    const flipped = scope.reshape(flipFilter(scope, filter, false), [kh, kw, channels * multiplier, 1]);
    let dx = scope.run(
      'DepthwiseConv2dNative',
      { x: dilated, filter: flipped },
      {
        strides: 1,
        dilations: [info.dilationHeight, info.dilationWidth],
        pad: [
          [0, 0],
          [rows.before, rows.after],
          [cols.before, cols.after],
          [0, 0],
        ],
      },
    );
    const [n, h, w] = attrs.inputShape;
    if (dx.shape[1] !== h || dx.shape[2] !== w) {
      dx = scope.run(
        'Slice',
        { x: dx },
        { begin: [0, rows.crop, cols.crop, 0], size: [n, h, w, channels * multiplier] },
      );
    }
    if (multiplier > 1) {
      const split = scope.reshape(dx, [n, h, w, channels, multiplier]);
      dx = scope.run('Sum', { x: split }, { axis: [4], keepDims: false });
    }
    return scope.keep(dx);
  });
}

/** `DepthwiseConv2dNativeBackpropFilter`, which the wasm backend lacks. */
export const depthwiseBackpropFilterConfig: KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropFilter',
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropFilter as unknown as KernelFunc,
};

/** `DepthwiseConv2dNativeBackpropInput`, which the wasm backend lacks. */
export const depthwiseBackpropInputConfig: KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropInput',
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropInput as unknown as KernelFunc,
};
