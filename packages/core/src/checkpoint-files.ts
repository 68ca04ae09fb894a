/**
 * Safetensors files and checkpoint files (Node): the byte encodings of `safetensors.ts` and
 * `checkpoint.ts` read from and written to paths, atomically.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type * as tf from '@tensorflow/tfjs-core';
import { writeFileAtomic } from './atomic';
import {
  applyCheckpoint,
  buildFromCheckpoint,
  type Checkpoint,
  type CheckpointContents,
  decodeCheckpoint,
  encodeCheckpoint,
} from './checkpoint';
import { PerturbError } from './errors';
import type { Module } from './module';
import { decodeSafetensors, encodeSafetensors } from './safetensors';

/** Saves tensors to `path` atomically as safetensors. */
export function saveSafetensors(
  path: string,
  tensors: Record<string, tf.Tensor>,
  metadata?: Record<string, string>,
): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

/** Loads a safetensors file; the caller owns (and disposes) the returned tensors. */
export function loadSafetensors(path: string): {
  tensors: Record<string, tf.Tensor>;
  metadata: Record<string, string>;
} {
  return decodeSafetensors(readCheckpointBytes(path), path);
}

/** Writes `module`'s state, `extra` tensors and `meta` atomically to `path`. */
export function saveCheckpoint<Meta>(
  path: string,
  module: Module,
  meta: Meta,
  extra: Record<string, tf.Tensor> = {},
): void {
  writeFileAtomic(path, encodeCheckpoint(module, meta, extra, path));
}

/**
 * Reads `path` once, without a module: for loaders that must build the module from the
 * checkpoint's metadata first. The caller owns (and disposes) every returned tensor.
 */
export function readCheckpoint<Meta>(path: string): CheckpointContents<Meta> {
  return decodeCheckpoint<Meta>(readCheckpointBytes(path), path);
}

/**
 * Loads `path` into `module` (strictly: names and shapes must match) and returns its metadata
 * and the extra tensors, which the caller owns.
 */
export function loadCheckpoint<Meta>(path: string, module: Module): Checkpoint<Meta> {
  return applyCheckpoint(readCheckpoint<Meta>(path), module);
}

/**
 * Rebuilds a module from the checkpoint at `path` alone (see `buildFromCheckpoint`): nothing
 * stays allocated on failure.
 */
export function rebuildFromCheckpoint<Meta, M extends Module>(path: string, build: (meta: Meta) => M): M {
  return buildFromCheckpoint(readCheckpoint<Meta>(path), build);
}

function readCheckpointBytes(path: string): Uint8Array {
  if (!existsSync(path)) {
    throw new PerturbError(`checkpoint ${path} does not exist`, 'check the path, or train the model first');
  }
  if (statSync(path).isDirectory()) {
    throw new PerturbError(
      `checkpoint ${path} is a folder, not a file`,
      'pass the path of the .safetensors file inside it',
    );
  }
  return readFileSync(path);
}
