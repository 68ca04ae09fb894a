/**
 * Gradients of a regular 2-D convolution on wasm, computed with the backend's XNNPACK forward
 * convolution (the fastest primitive it has) instead of naive loops.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import {
  channelsLastShape,
  conv2dInfo,
  fromChannelsLast,
  phaseAxis,
  toChannelsLast,
  transposedPadding,
  type Conv2DInfo,
  type PadAttr,
  type PhaseAxis,
} from './conv-geometry';
import { flipFilter, zeroDilate } from './rearrange';
import { withScope, type KernelArgs, type WasmScope } from './wasm-context';

interface GradAttrs {
  strides: number | [number, number];
  pad: PadAttr;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** Images per partial filter gradient: chunks this size keep each convolution's operands in cache. */
const FILTER_GRAD_CHUNK = 16;

/** The largest divisor of `batch` up to `FILTER_GRAD_CHUNK`, or `batch` when that would be tiny. */
function batchChunk(batch: number): number {
  for (let size = Math.min(batch, FILTER_GRAD_CHUNK); size > 1; size--) {
    if (batch % size === 0) return size >= 4 ? size : batch;
  }
  return batch;
}

/**
 * dW as forward convolutions over transposed tensors, one per chunk of the batch, summed: the
 * chunk's images become the contracted channel axis, x `[ci, h, w, n]` is the input, dy
 * `[oh, ow, n, co]` the filter, the forward stride its dilation; the result `[ci, kh, kw, co]`
 * is cropped and transposed to HWIO. Chunking the batch (instead of one convolution over all of
 * it) keeps the large "filter" small enough for the cache and makes both transposes cheaper.
 */
function filterGradient(
  scope: WasmScope,
  x: TensorInfo,
  dy: TensorInfo,
  filterShape: number[],
  attrs: GradAttrs,
): TensorInfo {
  const info = conv2dInfo(x.shape, filterShape, attrs);
  if (info.filterHeight === 1 && info.filterWidth === 1) return pointwiseFilterGradient(scope, x, dy, info);
  const { top, left } = info.padInfo;
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { strideHeight, strideWidth, filterHeight, filterWidth } = info;
  // Rows/columns past the input that the last filter tap of the last output reads (zero padding).
  const bottom = Math.max(0, (outHeight - 1) * strideHeight + filterHeight - 1 - top - (inHeight - 1));
  const right = Math.max(0, (outWidth - 1) * strideWidth + filterWidth - 1 - left - (inWidth - 1));
  const chunk = batchChunk(batchSize);
  const chunks = batchSize / chunk;
  const xT = scope.transpose(
    scope.reshape(x, [chunks, chunk, inHeight, inWidth, inChannels]),
    [0, 4, 2, 3, 1],
  );
  const dyT = scope.transpose(
    scope.reshape(dy, [chunks, chunk, outHeight, outWidth, outChannels]),
    [0, 2, 3, 1, 4],
  );
  const xChunkSize = inChannels * inHeight * inWidth * chunk;
  const dyChunkSize = outHeight * outWidth * chunk * outChannels;
  const partials: TensorInfo[] = [];
  for (let c = 0; c < chunks; c++) {
    const partial = scope.run(
      'Conv2D',
      {
        x: scope.view(xT, [inChannels, inHeight, inWidth, chunk], c * xChunkSize),
        filter: scope.view(dyT, [outHeight, outWidth, chunk, outChannels], c * dyChunkSize),
      },
      {
        strides: 1,
        dilations: [strideHeight, strideWidth],
        pad: [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0],
        ],
        dataFormat: 'NHWC',
      },
    );
    partials.push(partial);
  }
  const grad = partials.length === 1 ? partials[0] : scope.run('AddN', partials);
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
function pointwiseFilterGradient(
  scope: WasmScope,
  x: TensorInfo,
  dy: TensorInfo,
  info: Conv2DInfo,
): TensorInfo {
  const {
    batchSize,
    inHeight,
    inWidth,
    inChannels,
    outHeight,
    outWidth,
    outChannels,
    strideHeight,
    strideWidth,
  } = info;
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
  // dy is the matmul's packed operand: a view gives it an id of its own (see `WasmScope.view`).
  const dyMatrix = scope.view(dy, [positions, outChannels]);
  const grad = scope.run(
    'BatchMatMul',
    { a: gathered, b: dyMatrix },
    { transposeA: false, transposeB: false },
  );
  return scope.reshape(grad, [1, 1, inChannels, outChannels]);
}

/**
 * dx. Stride 1: a correlation of dy with the flipped, in/out-swapped filter. Equal strides s > 1:
 * `phaseInputGradient`. Unequal strides: a stride-1 correlation of the zero-dilated dy.
 */
function inputGradient(
  scope: WasmScope,
  dy: TensorInfo,
  filter: TensorInfo,
  inputShape: number[],
  attrs: GradAttrs,
): TensorInfo {
  const info = conv2dInfo(inputShape, filter.shape, attrs);
  if (info.strideHeight === info.strideWidth && info.strideHeight > 1)
    return phaseInputGradient(scope, dy, filter, info);
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
      pad: [
        [0, 0],
        [rows.before, rows.after],
        [cols.before, cols.after],
        [0, 0],
      ],
      dataFormat: 'NHWC',
    },
  );
  if (dx.shape[1] === info.inHeight && dx.shape[2] === info.inWidth) return dx;
  return scope.run(
    'Slice',
    { x: dx },
    { begin: [0, rows.crop, cols.crop, 0], size: [-1, info.inHeight, info.inWidth, -1] },
  );
}

/**
 * dx of a stride-s convolution as one stride-1 correlation of dy (not of a zero-dilated dy,
 * which multiplies mostly zeros) that computes all s² output phases as separate channel
 * blocks, then interleaved into place. Its filter holds, for each phase, the taps
 * that reach that phase (in/out-swapped), zeros elsewhere.
 */
function phaseInputGradient(
  scope: WasmScope,
  dy: TensorInfo,
  filter: TensorInfo,
  info: Conv2DInfo,
): TensorInfo {
  const stride = info.strideHeight;
  const { inChannels, filterHeight, filterWidth } = info;
  const rows = phaseAxis(info.inHeight, info.outHeight, filterHeight, stride, info.padInfo.top);
  const cols = phaseAxis(info.inWidth, info.outWidth, filterWidth, stride, info.padInfo.left);
  const phased = scope.run(
    'Conv2D',
    { x: dy, filter: phaseFilter(scope, filter, rows, cols, stride) },
    {
      strides: 1,
      dilations: 1,
      pad: [
        [0, 0],
        [rows.padBefore, rows.padAfter],
        [cols.padBefore, cols.padAfter],
        [0, 0],
      ],
      dataFormat: 'NHWC',
    },
  );
  const [batch, ph, pw] = phased.shape;
  const cropped =
    rows.skip === 0 && cols.skip === 0 && ph === rows.rows && pw === cols.rows
      ? phased
      : scope.run(
          'Slice',
          { x: phased },
          { begin: [0, rows.skip, cols.skip, 0], size: [batch, rows.rows, cols.rows, -1] },
        );
  // Interleave the phases: [n·r, c, phaseRow, (phaseCol, ci)] → [n·r, phaseRow, c, (phaseCol, ci)],
  // a transpose of contiguous blocks (the backend's DepthToSpace is several times slower).
  const blocks = scope.reshape(cropped, [batch * rows.rows, cols.rows, stride, stride * inChannels]);
  const interleaved = scope.transpose(blocks, [0, 2, 1, 3]);
  const dx = scope.reshape(interleaved, [batch, rows.rows * stride, cols.rows * stride, inChannels]);
  if (dx.shape[1] === info.inHeight && dx.shape[2] === info.inWidth) return dx;
  return scope.run(
    'Slice',
    { x: dx },
    { begin: [0, 0, 0, 0], size: [batch, info.inHeight, info.inWidth, inChannels] },
  );
}

/** `[window rows, window cols, co, (phaseRow, phaseCol, ci)]` from the HWIO filter; see `phaseInputGradient`. */
function phaseFilter(
  scope: WasmScope,
  filter: TensorInfo,
  rows: PhaseAxis,
  cols: PhaseAxis,
  stride: number,
): TensorInfo {
  const [, kw, ci, co] = filter.shape;
  const phases = stride * stride;
  const out = scope.zeros([rows.window, cols.window, co, phases * ci]);
  const src = scope.f32(filter);
  const dst = scope.f32(out);
  for (let th = 0; th < rows.window; th++) {
    for (let tw = 0; tw < cols.window; tw++) {
      for (let p = 0; p < phases; p++) {
        const kh = rows.tap(Math.floor(p / stride), th);
        const kwTap = cols.tap(p % stride, tw);
        if (kh < 0 || kwTap < 0) continue;
        const from = (kh * kw + kwTap) * ci * co;
        const to = (th * cols.window + tw) * co * phases * ci + p * ci;
        for (let i = 0; i < ci; i++) {
          for (let o = 0; o < co; o++) dst[to + o * phases * ci + i] = src[from + i * co + o];
        }
      }
    }
  }
  return out;
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
