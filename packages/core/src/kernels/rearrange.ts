/** Data rearrangements done in place on the wasm heap, cheaper than chains of tfjs ops. */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmScope } from './wasm-context';

/**
 * Inserts `strideH - 1` zero rows and `strideW - 1` zero columns between the pixels of an NHWC
 * tensor: the output gradient of a strided convolution becomes that of a stride-1 one.
 */
export function zeroDilate(scope: WasmScope, x: TensorInfo, strideH: number, strideW: number): TensorInfo {
  if (strideH === 1 && strideW === 1) return x;
  const [n, h, w, c] = x.shape;
  const dh = (h - 1) * strideH + 1;
  const dw = (w - 1) * strideW + 1;
  const out = scope.zeros([n, dh, dw, c]);
  const src = scope.f32(x);
  const dst = scope.f32(out);
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < h; r++) {
      let from = (b * h + r) * w * c;
      let to = (b * dh + r * strideH) * dw * c;
      for (let col = 0; col < w; col++, from += c, to += strideW * c) {
        dst.set(src.subarray(from, from + c), to);
      }
    }
  }
  return out;
}

/**
 * The filter of the correlation that computes a convolution's input gradient: spatially
 * flipped, and (for a regular convolution) with its in/out channel axes swapped.
 * HWIO `[kh, kw, ci, co]` → `[kh, kw, co, ci]`, or HW·C·M `[kh, kw, c, m]` kept as is when
 * `swapChannels` is false (depthwise).
 */
export function flipFilter(scope: WasmScope, filter: TensorInfo, swapChannels: boolean): TensorInfo {
  const [kh, kw, ci, co] = filter.shape;
  const out = scope.alloc(swapChannels ? [kh, kw, co, ci] : [kh, kw, ci, co]);
  const src = scope.f32(filter);
  const dst = scope.f32(out);
  const taps = kh * kw;
  for (let t = 0; t < taps; t++) {
    const from = (taps - 1 - t) * ci * co;
    const to = t * ci * co;
    if (!swapChannels) {
      dst.set(src.subarray(from, from + ci * co), to);
      continue;
    }
    for (let i = 0; i < ci; i++) {
      for (let o = 0; o < co; o++) dst[to + o * ci + i] = src[from + i * co + o];
    }
  }
  return out;
}
