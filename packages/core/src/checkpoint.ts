/**
 * Module checkpoints: the module's state dict (plus any extra tensors, such as optimizer slots)
 * in one safetensors file, with a JSON document of run state (epoch, rng positions, config)
 * in its metadata under the key `perturb`. Encoded to and decoded from bytes here (runs
 * anywhere); `checkpoint-files.ts` reads and writes them as files in Node.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Module } from './module';
import { PerturbError } from './errors';
import { decodeSafetensors, encodeSafetensors } from './safetensors';

/**
 * What {@link applyCheckpoint} returns: the tensors saved besides the module's state (such as
 * optimizer slots) and the run state saved as `meta`.
 */
export interface Checkpoint<Meta> {
  /** Tensors by name; the caller owns them. */
  tensors: Record<string, tf.Tensor>;
  /** The JSON run state given to {@link encodeCheckpoint} (null if none was saved). */
  meta: Meta;
}

/** The metadata key of the run state. */
const META_KEY = 'perturb';

/** Prefix of module state inside a checkpoint, so extra tensors cannot collide with it. */
const MODEL_PREFIX = 'model.';

/**
 * Encodes `module`'s state, `extra` tensors and `meta` as checkpoint bytes. Refuses (naming
 * `source`, where the bytes are going) a state that is not finite.
 */
export function encodeCheckpoint<Meta>(
  module: Module,
  meta: Meta,
  extra: Record<string, tf.Tensor> = {},
  source = 'the checkpoint',
): Uint8Array {
  const tensors: Record<string, tf.Tensor> = { ...extra };
  for (const [name, t] of Object.entries(module.stateDict())) tensors[MODEL_PREFIX + name] = t;
  const bufferNames = new Set(module.namedBuffers().map(([name]) => MODEL_PREFIX + name));
  const bad = firstNonFinite(tensors, (name) => bufferNames.has(name));
  if (bad) {
    throw new PerturbError(
      `not saving the checkpoint ${source}: "${bad.name}" holds ${bad.value} (the training diverged); the last good checkpoint is kept`,
      'lower the learning rate or check the inputs for NaN, then resume from the kept checkpoint',
    );
  }
  return encodeSafetensors(tensors, { [META_KEY]: JSON.stringify(meta ?? null) });
}

/**
 * The first tensor holding NaN, or ±Infinity where `mayBeInfinite` does not allow it, with that
 * value: a checkpoint of a diverged run must never replace a good one, nor load as if it were
 * one. Module buffers may hold ±Infinity on purpose (an empty range's bounds), never NaN.
 */
function firstNonFinite(
  tensors: Record<string, tf.Tensor>,
  mayBeInfinite: (name: string) => boolean,
): { name: string; value: number } | undefined {
  for (const [name, t] of Object.entries(tensors)) {
    if (t.dtype !== 'float32') continue;
    const infiniteAllowed = mayBeInfinite(name);
    const values = t.dataSync();
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (Number.isNaN(v) || (!infiniteAllowed && !Number.isFinite(v))) return { name, value: v };
    }
  }
  return undefined;
}

/** A decoded checkpoint not yet applied to a module. */
export interface CheckpointContents<Meta> extends Checkpoint<Meta> {
  /** The module's state dict; the caller owns the tensors. */
  state: Record<string, tf.Tensor>;
}

/**
 * Decodes checkpoint bytes without a module: for loaders that must build the module from the
 * checkpoint's metadata first. `source` names the bytes in errors. The caller owns (and
 * disposes) every returned tensor.
 */
export function decodeCheckpoint<Meta>(bytes: Uint8Array, source: string): CheckpointContents<Meta> {
  const { tensors, metadata } = decodeSafetensors(bytes, source);
  let meta: Meta;
  try {
    meta = parseMeta<Meta>(source, metadata);
    // Which model tensors are buffers is unknown before a module is built, so all may be infinite.
    const bad = firstNonFinite(tensors, (name) => name.startsWith(MODEL_PREFIX));
    if (bad) {
      throw new PerturbError(
        `the checkpoint ${source} is damaged: "${bad.name}" holds ${bad.value}`,
        'delete it to train from scratch, or restore a good copy',
      );
    }
  } catch (error) {
    tf.dispose(Object.values(tensors));
    throw error;
  }
  const state: Record<string, tf.Tensor> = {};
  const extra: Record<string, tf.Tensor> = {};
  for (const [name, t] of Object.entries(tensors)) {
    if (name.startsWith(MODEL_PREFIX)) state[name.slice(MODEL_PREFIX.length)] = t;
    else extra[name] = t;
  }
  return { state, tensors: extra, meta };
}

/** The run state saved under the metadata key `perturb`, which every perturb checkpoint has. */
function parseMeta<Meta>(source: string, metadata: Record<string, string>): Meta {
  if (typeof metadata[META_KEY] !== 'string') {
    throw new PerturbError(
      `${source} holds no perturb run state (no "${META_KEY}" entry in its metadata)`,
      'pass a checkpoint written by perturb, or delete it to train from scratch',
    );
  }
  try {
    return JSON.parse(metadata[META_KEY]) as Meta;
  } catch {
    throw new PerturbError(
      `the run state in ${source} is not valid JSON`,
      'the file is damaged: delete it to train from scratch, or restore a good copy',
    );
  }
}

/**
 * Builds a module from decoded checkpoint contents alone: `build` makes it from the metadata
 * (throwing a `PerturbError` when the metadata is not what it needs), then the saved state is
 * loaded into it. The contents are disposed. On any failure nothing stays allocated, the
 * half-built module included (the caller never sees it, so could not free it).
 */
export function buildFromCheckpoint<Meta, M extends Module>(
  contents: CheckpointContents<Meta>,
  build: (meta: Meta) => M,
): M {
  const { state, tensors, meta } = contents;
  try {
    const module = build(meta);
    try {
      module.loadStateDict(state);
    } catch (error) {
      module.dispose();
      throw error;
    }
    return module;
  } finally {
    tf.dispose([...Object.values(state), ...Object.values(tensors)]);
  }
}

/**
 * Loads decoded checkpoint contents into `module` (strictly: names and shapes must match) and
 * returns its metadata and the extra tensors, which the caller owns; the state is disposed.
 */
export function applyCheckpoint<Meta>(contents: CheckpointContents<Meta>, module: Module): Checkpoint<Meta> {
  const { state, tensors, meta } = contents;
  try {
    module.loadStateDict(state);
  } catch (error) {
    tf.dispose(Object.values(tensors));
    throw error;
  } finally {
    tf.dispose(Object.values(state));
  }
  return { tensors, meta };
}
