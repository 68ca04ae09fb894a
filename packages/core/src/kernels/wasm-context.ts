/**
 * The small slice of the wasm backend that perturb's kernels use: calling the backend's own
 * kernels, allocating outputs and reading/writing tensor memory on the wasm heap.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DataId, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';

/** The parts of `@tensorflow/tfjs-backend-wasm`'s `BackendWasm` these kernels rely on. */
export interface WasmBackendLike {
  wasm: { HEAPF32: Float32Array; HEAP32: Int32Array; tfjs: { disposeData(id: number): void } };
  dataIdMap: { get(dataId: DataId): { id: number; memoryOffset: number }; delete(dataId: DataId): boolean };
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number): TensorInfo;
  disposeData(dataId: DataId): boolean;
  incRef(dataId: DataId): void;
}

/** Arguments tfjs passes to a kernel function. */
export interface KernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: unknown;
  attrs?: NamedAttrMap;
}

/**
 * One kernel invocation's workspace: runs the wasm backend's kernels and frees every
 * intermediate it made when `dispose` is called, except the results handed to `keep`.
 */
export class WasmScope {
  readonly backend: WasmBackendLike;
  private readonly intermediates: TensorInfo[] = [];
  private readonly views: TensorInfo[] = [];

  constructor(backend: unknown) {
    this.backend = backend as WasmBackendLike;
  }

  /**
   * Runs the wasm backend's kernel `name` and tracks its output as an intermediate. `inputs` is
   * a list for kernels that take one (`AddN`, `Concat`).
   */
  run(name: string, inputs: Record<string, TensorInfo> | TensorInfo[], attrs: NamedAttrMap = {}): TensorInfo {
    const config = tf.getKernel(name, 'wasm');
    if (!config) throw new Error(`perturb: the wasm backend has no ${name} kernel`);
    const namedInputs = inputs as Record<string, TensorInfo>;
    const out = config.kernelFunc({
      inputs: namedInputs,
      backend: this.backend as unknown as tf.KernelBackend,
      attrs,
    });
    return this.track(out as TensorInfo);
  }

  /** Allocates an uninitialized float32 tensor tracked as an intermediate. */
  alloc(shape: number[]): TensorInfo {
    return this.track(this.backend.makeOutput(shape, 'float32'));
  }

  /** Allocates a float32 tensor filled with zeros, tracked as an intermediate. */
  zeros(shape: number[]): TensorInfo {
    const t = this.alloc(shape);
    this.f32(t).fill(0);
    return t;
  }

  /** Reshapes without copying (the wasm Reshape kernel shares the data). */
  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  /**
   * A float32 tensor of `shape` over `t`'s memory from element `offset` on, registered under a
   * fresh id and unregistered (never freed) by `dispose`. The wasm backend caches XNNPACK
   * operators (packed matmul and conv weights) by tensor id, not by shape, so an operand used
   * with a new shape must have a new id; a view's cached operator also dies with the view.
   */
  view(t: TensorInfo, shape: number[], offset = 0): TensorInfo {
    const start = this.backend.dataIdMap.get(t.dataId).memoryOffset + offset * 4;
    const v = this.backend.makeOutput(shape, 'float32', start);
    this.views.push(v);
    return v;
  }

  /** A live view of a float32 tensor's memory; invalid after the next allocation (the heap may grow). */
  f32(t: TensorInfo): Float32Array {
    const heap = this.backend.wasm.HEAPF32;
    const start = this.backend.dataIdMap.get(t.dataId).memoryOffset / 4;
    return heap.subarray(start, start + tf.util.sizeFromShape(t.shape));
  }

  /** A live view of an int32 tensor's memory; invalid after the next allocation. */
  i32(t: TensorInfo): Int32Array {
    const heap = this.backend.wasm.HEAP32;
    const start = this.backend.dataIdMap.get(t.dataId).memoryOffset / 4;
    return heap.subarray(start, start + tf.util.sizeFromShape(t.shape));
  }

  /** Stops tracking `t` so it survives `dispose`; use it for the kernel's result. */
  keep(t: TensorInfo): TensorInfo {
    const i = this.intermediates.indexOf(t);
    if (i >= 0) this.intermediates.splice(i, 1);
    return t;
  }

  /** Frees every tracked intermediate and unregisters every view. */
  dispose(): void {
    for (const v of this.views) {
      this.backend.wasm.tfjs.disposeData(this.backend.dataIdMap.get(v.dataId).id);
      this.backend.dataIdMap.delete(v.dataId);
    }
    this.views.length = 0;
    for (const t of this.intermediates) this.backend.disposeData(t.dataId);
    this.intermediates.length = 0;
  }

  /** Tracks `t` (made outside `run`/`alloc`) as an intermediate. */
  track(t: TensorInfo): TensorInfo {
    this.intermediates.push(t);
    return t;
  }
}

/** Runs `body` in a fresh scope and frees its intermediates, also when it throws. */
export function withScope<T>(backend: unknown, body: (scope: WasmScope) => T): T {
  const scope = new WasmScope(backend);
  try {
    return body(scope);
  } finally {
    scope.dispose();
  }
}
