/** Convolution geometry shared by the gradient kernels, in tfjs's own conventions. */
import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmScope } from './wasm-context';

export type Conv2DInfo = tf.backend_util.Conv2DInfo;
export type PadAttr = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Shape4 = [number, number, number, number];

/** `computeConv2DInfo` for an NHWC input, as the forward kernel saw it. */
export function conv2dInfo(
  inShape: number[],
  filterShape: number[],
  attrs: {
    strides: number | [number, number];
    pad: PadAttr;
    dilations?: number | [number, number];
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  },
  depthwise = false,
): Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    inShape as Shape4,
    filterShape as Shape4,
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    depthwise,
    'channelsLast',
  );
}

/** NCHW → NHWC (a transpose), or `x` itself when it already is channels-last. */
export function toChannelsLast(
  scope: WasmScope,
  x: TensorInfo,
  dataFormat: 'NHWC' | 'NCHW' | undefined,
): TensorInfo {
  return dataFormat === 'NCHW' ? scope.transpose(x, [0, 2, 3, 1]) : x;
}

/** NHWC → NCHW when the caller asked for channels-first. */
export function fromChannelsLast(
  scope: WasmScope,
  x: TensorInfo,
  dataFormat: 'NHWC' | 'NCHW' | undefined,
): TensorInfo {
  return dataFormat === 'NCHW' ? scope.transpose(x, [0, 3, 1, 2]) : x;
}

/** NHWC shape of an input given in `dataFormat`. */
export function channelsLastShape(shape: number[], dataFormat: 'NHWC' | 'NCHW' | undefined): number[] {
  return dataFormat === 'NCHW' ? [shape[0], shape[2], shape[3], shape[1]] : shape;
}

/**
 * Padding of one spatial axis for the stride-1 correlation that computes an input gradient
 * from the zero-dilated output gradient (`dilatedSize` long): `before`/`after` are clamped at
 * zero, and the result must be cropped to `size` rows starting at `crop`.
 */
export function transposedPadding(
  size: number,
  dilatedSize: number,
  filterSize: number,
  dilation: number,
  padBefore: number,
): { before: number; after: number; crop: number } {
  const span = (filterSize - 1) * dilation;
  const before = span - padBefore;
  const after = size - 1 + padBefore - (dilatedSize - 1);
  return { before: Math.max(before, 0), after: Math.max(after, 0), crop: Math.max(before, 0) - before };
}

/**
 * One spatial axis of a strided convolution's input gradient split by output phase: input row
 * `stride·r + phase` only receives filter taps `k ≡ phase + padBefore (mod stride)`, so every
 * phase is a stride-1 correlation of dy. All phases share one window of `window` dy rows
 * (`padBefore`/`padAfter` zero rows around dy); phase results start `skip` rows into the
 * correlation's output and span `rows` rows (`stride·rows` ≥ the input size).
 */
export interface PhaseAxis {
  window: number;
  padBefore: number;
  padAfter: number;
  skip: number;
  rows: number;
  /** The filter tap that window position `t` applies in `phase`, or -1 for none. */
  tap(phase: number, t: number): number;
}

export function phaseAxis(
  size: number,
  outSize: number,
  filterSize: number,
  stride: number,
  padBefore: number,
): PhaseAxis {
  // Phase p, tap k = first + stride·m reads dy row r + shift − m, with shift = ⌊(p + pad)/stride⌋.
  const first = (p: number) => (p + padBefore) % stride;
  const shift = (p: number) => Math.floor((p + padBefore) / stride);
  const taps = (p: number) => Math.max(0, Math.ceil((filterSize - first(p)) / stride));
  let lo = Infinity;
  let hi = -Infinity;
  for (let p = 0; p < stride; p++) {
    if (taps(p) === 0) continue;
    lo = Math.min(lo, shift(p) - taps(p) + 1);
    hi = Math.max(hi, shift(p));
  }
  if (lo > hi) [lo, hi] = [0, 0];
  const window = hi - lo + 1;
  const rows = Math.ceil(size / stride);
  const before = Math.max(-lo, 0);
  const skip = Math.max(lo, 0);
  return {
    window,
    padBefore: before,
    padAfter: Math.max(0, rows + skip + window - 1 - outSize - before),
    skip,
    rows,
    tap: (p, t) => {
      const m = shift(p) - (t + lo);
      return m >= 0 && m < taps(p) ? first(p) + stride * m : -1;
    },
  };
}
