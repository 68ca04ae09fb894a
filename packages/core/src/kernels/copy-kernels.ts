/**
 * Copy kernels for the wasm backend, whose own copy row by row with per-row overhead (for rows of
 * a few channels ~35× slower than a pass of `Add` over the same data): `Concat` along the last
 * axis of float32 tensors (the channel joins of every Glow coupling and their gradients), every
 * float32 `SplitV` and `Slice` (channel splits, pieces of a flat parameter vector, batch slices,
 * the shifted windows of hand-written conv gradients, a detector's per-level outputs), as copy
 * loops over the wasm heap, float32 `Tile` (every `tf.broadcastTo` of a per-channel vector as
 * doubling copies of the whole input; nearest-neighbour upsampling's repeats as runs), and
 * float32/int32 `Reverse` as runs of the axes inner to the last reversed one (the spatial flip of
 * a conv filter, which the dilated conv gradient makes every step, is nine block copies; the
 * backend's own walks every element with index arithmetic), and float32 `GatherV2` as one slice
 * copy per index.
 * Every other case goes to the backend's kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { type KernelArgs, type WasmBackendLike, WasmScope } from './wasm-context';
import { backendKernel, type WrappableKernel } from './wrapped-kernels';

/** The axis `axis` names in a tensor of `rank`, negative counting from the end. */
function lastAxisOf(axis: number | number[], rank: number): boolean {
  const a = Array.isArray(axis) ? axis[0] : axis;
  return rank > 0 && (a === rank - 1 || a === -1);
}

/**
 * Writes packed rows of `width` values from `src` into columns `dstStart …` of the rows of `dst`
 * (each `dstWidth` wide): one input of a last-axis concatenation.
 */
function writeColumns(
  src: Float32Array,
  width: number,
  dst: Float32Array,
  dstWidth: number,
  dstStart: number,
): void {
  for (let s = 0, d = dstStart; s < src.length; s += width, d += dstWidth) {
    for (let k = 0; k < width; k++) dst[d + k] = src[s + k];
  }
}

function concat(args: KernelArgs): TensorInfo {
  const inputs = Object.values(args.inputs);
  const { axis } = args.attrs as unknown as { axis: number };
  const first = inputs[0];
  const lead = first?.shape.slice(0, -1);
  const eligible =
    first &&
    lastAxisOf(axis, first.shape.length) &&
    inputs.every(
      (t) =>
        t.dtype === 'float32' &&
        t.shape.length === first.shape.length &&
        tf.util.arraysEqual(t.shape.slice(0, -1), lead!),
    );
  if (!eligible) return backendKernel('Concat')(args as Parameters<KernelFunc>[0]) as TensorInfo;
  const widths = inputs.map((t) => t.shape[t.shape.length - 1]);
  const width = widths.reduce((a, b) => a + b, 0);
  const backend = args.backend as WasmBackendLike;
  const out = backend.makeOutput([...lead!, width], 'float32');
  const scope = new WasmScope(backend); // views only: nothing to free
  const dst = scope.f32(out);
  let start = 0;
  inputs.forEach((t, i) => {
    writeColumns(scope.f32(t), widths[i], dst, width, start);
    start += widths[i];
  });
  return out;
}

function splitV(args: KernelArgs): TensorInfo[] {
  const { x } = args.inputs;
  const { numOrSizeSplits, axis } = args.attrs as unknown as {
    numOrSizeSplits: number | number[];
    axis: number;
  };
  if (x.dtype !== 'float32' || x.shape.length === 0) {
    return backendKernel('SplitV')(args as Parameters<KernelFunc>[0]) as TensorInfo[];
  }
  const along = tf.util.parseAxisParam(axis, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, along);
  const backend = args.backend as WasmBackendLike;
  const outs = sizes.map((size) =>
    backend.makeOutput(
      x.shape.map((extent, a) => (a === along ? size : extent)),
      'float32',
    ),
  );
  // Views only after every allocation: a growing heap invalidates earlier ones.
  const scope = new WasmScope(backend);
  const src = scope.f32(x);
  const starts = x.shape.map(() => 0);
  // Each piece is the box of x from the pieces before it on along the split axis.
  outs.forEach((out) => {
    copyBox(src, x.shape, starts, out.shape, scope.f32(out));
    starts[along] += out.shape[along];
  });
  return outs;
}

/** Copies `length` values from `src[from]` to `dst[to]`: a loop for short runs, `set` for long ones. */
function copyRun(
  src: Float32Array | Int32Array,
  from: number,
  dst: Float32Array | Int32Array,
  to: number,
  length: number,
): void {
  if (length >= 64) dst.set(src.subarray(from, from + length), to);
  else for (let k = 0; k < length; k++) dst[to + k] = src[from + k];
}

/**
 * Copies the box `starts … starts + sizes` of a row-major `shape` from `src` into `dst` (packed):
 * the innermost axes that are taken whole merge into one run of contiguous values, and the
 * outer axes are walked with an odometer, so each run is one tight loop (or one `set` when
 * the whole box is contiguous).
 */
function copyBox(
  src: Float32Array,
  shape: number[],
  starts: number[],
  sizes: number[],
  dst: Float32Array,
): void {
  const rank = shape.length;
  const strides = new Array<number>(rank);
  for (let axis = rank - 1, stride = 1; axis >= 0; axis--) {
    strides[axis] = stride;
    stride *= shape[axis];
  }
  // Axes inner to `inner` are whole, so run = sizes[inner] × (their sizes) values are contiguous.
  let inner = rank - 1;
  while (inner > 0 && sizes[inner] === shape[inner]) inner--;
  const run = sizes[inner] * strides[inner];
  let offset = 0;
  for (let axis = 0; axis < rank; axis++) offset += starts[axis] * strides[axis];
  const runs = tf.util.sizeFromShape(sizes.slice(0, inner));
  if (runs === 1) {
    dst.set(src.subarray(offset, offset + run));
    return;
  }
  const index = new Array<number>(inner).fill(0);
  for (let r = 0, d = 0; r < runs; r++, d += run) {
    copyRun(src, offset, dst, d, run);
    // Advance the odometer over the outer axes and move the source offset with it.
    for (let axis = inner - 1; axis >= 0; axis--) {
      offset += strides[axis];
      if (++index[axis] < sizes[axis]) break;
      offset -= sizes[axis] * strides[axis];
      index[axis] = 0;
    }
  }
}

function slice(args: KernelArgs): TensorInfo {
  const { x } = args.inputs;
  const { begin, size } = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
  const [starts, sizes] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
  if (x.dtype !== 'float32' || x.shape.length === 0 || sizes.includes(0)) {
    return backendKernel('Slice')(args as Parameters<KernelFunc>[0]) as TensorInfo;
  }
  const backend = args.backend as WasmBackendLike;
  const out = backend.makeOutput(sizes, 'float32');
  const scope = new WasmScope(backend);
  copyBox(scope.f32(x), x.shape, starts, sizes, scope.f32(out));
  return out;
}

/**
 * float32 `Tile`. When it repeats the whole input (every axis before the last repeated one is of
 * size 1: tf.broadcastTo of a per-channel vector, the gradients of means and sums over leading
 * axes), one copy doubled in place, log₂(repeats) copies; otherwise contiguous runs of the input
 * (the axes inner to the last repeated one) written at every output position of the outer axes,
 * whose odometer wraps the source index at the input's extent (nearest-neighbour upsampling's
 * column and row repeats).
 */
function tile(args: KernelArgs): TensorInfo {
  const { x } = args.inputs;
  const { reps } = args.attrs as unknown as { reps: number[] };
  if (x.dtype !== 'float32' || x.shape.length === 0 || x.shape.includes(0)) {
    return backendKernel('Tile')(args as Parameters<KernelFunc>[0]) as TensorInfo;
  }
  const { shape } = x;
  const backend = args.backend as WasmBackendLike;
  const outShape = shape.map((size, axis) => size * reps[axis]);
  const out = backend.makeOutput(outShape, 'float32');
  const scope = new WasmScope(backend);
  const src = scope.f32(x);
  const dst = scope.f32(out);
  let last = reps.length - 1;
  while (last >= 0 && reps[last] === 1) last--;
  if (shape.slice(0, Math.max(last, 0)).every((size) => size === 1)) {
    dst.set(src);
    for (let filled = src.length; filled < dst.length; filled *= 2) {
      dst.copyWithin(filled, 0, Math.min(filled, dst.length - filled));
    }
    return out;
  }
  const outer = last + 1; // axes [0, outer) are walked; the rest is one run
  const run = tf.util.sizeFromShape(shape.slice(outer));
  const strides = new Array<number>(outer);
  for (let axis = outer - 1, stride = run; axis >= 0; axis--) {
    strides[axis] = stride;
    stride *= shape[axis];
  }
  const runs = tf.util.sizeFromShape(outShape.slice(0, outer));
  const index = new Array<number>(outer).fill(0);
  let offset = 0;
  for (let r = 0, d = 0; r < runs; r++, d += run) {
    copyRun(src, offset, dst, d, run);
    for (let axis = outer - 1; axis >= 0; axis--) {
      ++index[axis];
      offset += index[axis] % shape[axis] === 0 ? -(shape[axis] - 1) * strides[axis] : strides[axis];
      if (index[axis] < outShape[axis]) break;
      index[axis] = 0;
    }
  }
  return out;
}

/**
 * `Reverse` as copies of contiguous runs: the axes inner to the last reversed one are copied whole
 * (`set`, or a loop for short runs) while an odometer walks the outer axes, stepping backwards
 * along the reversed ones.
 */
function reverse(args: KernelArgs): TensorInfo {
  const { x } = args.inputs;
  const { dims } = args.attrs as unknown as { dims: number | number[] };
  if ((x.dtype !== 'float32' && x.dtype !== 'int32') || x.shape.length === 0 || x.shape.includes(0)) {
    return backendKernel('Reverse')(args as Parameters<KernelFunc>[0]) as TensorInfo;
  }
  const { shape } = x;
  const axes = new Set(tf.util.parseAxisParam(dims, shape));
  const backend = args.backend as WasmBackendLike;
  const out = backend.makeOutput([...shape], x.dtype);
  const scope = new WasmScope(backend);
  const view = (t: TensorInfo) => (x.dtype === 'int32' ? scope.i32(t) : scope.f32(t));
  const src = view(x);
  const dst = view(out);
  const outer = Math.max(-1, ...axes) + 1; // axes [0, outer) are walked; the rest is one run
  const run = tf.util.sizeFromShape(shape.slice(outer));
  // Signed source steps: the source of an output index runs backwards along reversed axes.
  const steps = new Array<number>(outer);
  let offset = 0;
  for (let axis = outer - 1, stride = run; axis >= 0; axis--) {
    steps[axis] = axes.has(axis) ? -stride : stride;
    if (axes.has(axis)) offset += (shape[axis] - 1) * stride;
    stride *= shape[axis];
  }
  const runs = tf.util.sizeFromShape(shape.slice(0, outer));
  const index = new Array<number>(outer).fill(0);
  for (let r = 0, d = 0; r < runs; r++, d += run) {
    copyRun(src, offset, dst, d, run);
    for (let axis = outer - 1; axis >= 0; axis--) {
      offset += steps[axis];
      if (++index[axis] < shape[axis]) break;
      offset -= shape[axis] * steps[axis];
      index[axis] = 0;
    }
  }
  return out;
}

/**
 * float32 `GatherV2` as one copy of a contiguous slice per gathered index (a permutation of RoI
 * features, picking sampled rows), where the backend's own computes every element's index.
 * Indices out of range go to the backend's kernel, which names them.
 */
function gatherV2(args: KernelArgs): TensorInfo {
  const { x, indices } = args.inputs;
  const { axis, batchDims } = args.attrs as unknown as { axis: number; batchDims: number };
  const backend = args.backend as WasmBackendLike;
  const scope = new WasmScope(backend);
  const along = x.shape.length > 0 ? tf.util.parseAxisParam(axis, x.shape)[0] : 0;
  const extent = x.shape[along];
  const picks = indices.dtype === 'int32' ? scope.i32(indices) : null;
  if (x.dtype !== 'float32' || !picks || x.shape.includes(0) || picks.some((i) => i < 0 || i >= extent)) {
    return backendKernel('GatherV2')(args as Parameters<KernelFunc>[0]) as TensorInfo;
  }
  const info = tf.backend_util.segment_util.collectGatherOpShapeInfo(
    x as tf.TensorInfo as tf.Tensor,
    indices as tf.TensorInfo as tf.Tensor,
    along,
    batchDims,
  );
  const { batchSize, outerSize, dimSize, sliceSize } = info;
  const perBatch = picks.length / batchSize;
  const indexList = Int32Array.from(picks); // the heap view dies with the output's allocation
  const out = backend.makeOutput(info.outputShape, 'float32');
  const src = scope.f32(x);
  const dst = scope.f32(out);
  for (let b = 0, d = 0; b < batchSize; b++) {
    for (let o = 0; o < outerSize; o++) {
      const base = (b * outerSize + o) * dimSize * sliceSize;
      for (let i = 0; i < perBatch; i++, d += sliceSize) {
        copyRun(src, base + indexList[b * perBatch + i] * sliceSize, dst, d, sliceSize);
      }
    }
  }
  return out;
}

function config(kernelName: WrappableKernel, kernelFunc: (args: KernelArgs) => unknown): KernelConfig {
  return { kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as KernelFunc };
}

/** `Concat` along the last axis by copy loops. */
export const concatConfig = config('Concat', concat);
/** float32 `SplitV` along any axis by copying contiguous runs. */
export const splitVConfig = config('SplitV', splitV);
/** float32 `Slice` by copying contiguous runs. */
export const sliceConfig = config('Slice', slice);
/** float32 `Tile` by doubling copies of the whole input, or by copying contiguous runs. */
export const tileConfig = config('Tile', tile);
/** float32/int32 `Reverse` by copying contiguous runs. */
export const reverseConfig = config('Reverse', reverse);
/** float32 `GatherV2` by copying one slice per index. */
export const gatherV2Config = config('GatherV2', gatherV2);
