/**
 * Gradients of a regular 2-D convolution on wasm, computed with the backend's XNNPACK forward
 * convolution (the fastest primitive it has) instead of naive loops.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { channelsLastShape, conv2dInfo, fromChannelsLast, toChannelsLast, transposedPadding, type Conv2DInfo, type PadAttr } from './conv-geometry';
import { flipFilter, zeroDilate } from './rearrange';
import { withScope, type KernelArgs, type WasmScope } from './wasm-context';

interface GradAttrs {
  strides: number | [number, number];
  pad: PadAttr;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * dW as one forward convolution over transposed tensors: the batch becomes the contracted
 * channel axis, x `[ci, h, w, n]` is the input, dy `[oh, ow, n, co]` the filter, the forward
 * stride its dilation; the result `[ci, kh, kw, co]` is cropped and transposed to HWIO.
 */
function filterGradient(scope: WasmScope, x: TensorInfo, dy: TensorInfo, filterShape: number[], attrs: GradAttrs): TensorInfo {
  const info = conv2dInfo(x.shape, filterShape, attrs);
  if (info.filterHeight === 1 && info.filterWidth === 1) return pointwiseFilterGradient(scope, x, dy, info);
  const { top, left } = info.padInfo;
  const { inHeight, inWidth, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  // Rows/columns past the input that the last filter tap of the last output reads (zero padding).
  const bottom = Math.max(0, (outHeight - 1) * strideHeight + filterHeight - 1 - top - (inHeight - 1));
  const right = Math.max(0, (outWidth - 1) * strideWidth + filterWidth - 1 - left - (inWidth - 1));
  const xT = scope.transpose(x, [3, 1, 2, 0]);
  const dyT = scope.transpose(dy, [1, 2, 0, 3]);
  const grad = scope.run(
    'Conv2D',
    { x: xT, filter: dyT },
    {
      strides: 1,
      dilations: [strideHeight, strideWidth],
      pad: [[0, 0], [top, bottom], [left, right], [0, 0]],
      dataFormat: 'NHWC',
    },
  );
  const hwio = scope.transpose(grad, [1, 2, 0, 3]);
  const [gh, gw] = hwio.shape;
  if (gh === filterHeight && gw === filterWidth) return hwio;
  // Padding beyond what the filter reaches made the result larger than the filter.
  return scope.run('Slice', { x: hwio }, { begin: [0, 0, 0, 0], size: filterShape });
}

/**
 * dW of a 1×1 convolution as one XNNPACK matmul: the strided pixels x reads, gathered
 * channel-major `[ci, n·oh·ow]`, times dy `[n·oh·ow, co]`.
 */
function pointwiseFilterGradient(scope: WasmScope, x: TensorInfo, dy: TensorInfo, info: Conv2DInfo): TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, strideHeight, strideWidth } = info;
  const { top, left } = info.padInfo;
  const positions = batchSize * outHeight * outWidth;
  const gathered = scope.alloc([inChannels, positions]);
  const src = scope.f32(x);
  const dst = scope.f32(gathered);
  for (let n = 0, p = 0; n < batchSize; n++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const ih = oh * strideHeight - top;
      for (let ow = 0; ow < outWidth; ow++, p++) {
        const iw = ow * strideWidth - left;
        const inside = ih >= 0 && ih < inHeight && iw >= 0 && iw < inWidth;
        const from = ((n * inHeight + ih) * inWidth + iw) * inChannels;
        for (let c = 0; c < inChannels; c++) dst[c * positions + p] = inside ? src[from + c] : 0;
      }
    }
  }
  const dyMatrix = scope.reshape(dy, [positions, outChannels]);
  const grad = scope.run('BatchMatMul', { a: gathered, b: dyMatrix }, { transposeA: false, transposeB: false });
  return scope.reshape(grad, [1, 1, inChannels, outChannels]);
}

/** dx as a stride-1 correlation of the zero-dilated dy with the flipped, in/out-swapped filter. */
function inputGradient(scope: WasmScope, dy: TensorInfo, filter: TensorInfo, inputShape: number[], attrs: GradAttrs): TensorInfo {
  const info = conv2dInfo(inputShape, filter.shape, attrs);
  const dilated = zeroDilate(scope, dy, info.strideHeight, info.strideWidth);
  const [, dh, dw] = dilated.shape;
  const rows = transposedPadding(info.inHeight, dh, info.filterHeight, 1, info.padInfo.top);
  const cols = transposedPadding(info.inWidth, dw, info.filterWidth, 1, info.padInfo.left);
  const dx = scope.run(
    'Conv2D',
    { x: dilated, filter: flipFilter(scope, filter, true) },
    {
      strides: 1,
      dilations: 1,
      pad: [[0, 0], [rows.before, rows.after], [cols.before, cols.after], [0, 0]],
      dataFormat: 'NHWC',
    },
  );
  if (dx.shape[1] === info.inHeight && dx.shape[2] === info.inWidth) return dx;
  return scope.run('Slice', { x: dx }, { begin: [0, rows.crop, cols.crop, 0], size: [-1, info.inHeight, info.inWidth, -1] });
}

function conv2DBackpropFilter(args: KernelArgs): TensorInfo {
  const attrs = args.attrs as unknown as GradAttrs & { filterShape: number[] };
  return withScope(args.backend, (scope) => {
    const x = toChannelsLast(scope, args.inputs.x, attrs.dataFormat);
    const dy = toChannelsLast(scope, args.inputs.dy, attrs.dataFormat);
    return scope.keep(filterGradient(scope, x, dy, attrs.filterShape, attrs));
  });
}

function conv2DBackpropInput(args: KernelArgs): TensorInfo {
  const attrs = args.attrs as unknown as GradAttrs & { inputShape: number[] };
  return withScope(args.backend, (scope) => {
    const dy = toChannelsLast(scope, args.inputs.dy, attrs.dataFormat);
    const inputShape = channelsLastShape(attrs.inputShape, attrs.dataFormat);
    const dx = inputGradient(scope, dy, args.inputs.filter, inputShape, attrs);
    return scope.keep(fromChannelsLast(scope, dx, attrs.dataFormat));
  });
}

/** `Conv2DBackpropFilter`, which the wasm backend lacks. */
export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as KernelFunc,
};

/** `Conv2DBackpropInput`, replacing the wasm backend's naive loop. */
export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropInput',
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput as unknown as KernelFunc,
};
