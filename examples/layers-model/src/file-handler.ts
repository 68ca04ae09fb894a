/**
 * A tf.io handler for a folder in Node: `model.json` plus one `weights.bin`, the layout
 * `tf.loadLayersModel('<url>/model.json')` reads over HTTP in a browser. tfjs-node brings a
 * `file://` handler, but it is a native build; this one is plain Node. Each file is written to a
 * temporary name and renamed, so a crash never leaves a half-written model.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';

const WEIGHTS = 'weights.bin';

/** Saves to and loads from `folder` (created on save). */
export function folderHandler(folder: string): tf.io.IOHandler {
  return {
    async save(artifacts) {
      await mkdir(folder, { recursive: true });
      const weights = toBytes(artifacts.weightData);
      const { weightData: _data, weightSpecs, ...rest } = artifacts;
      const modelJson = {
        ...rest,
        weightsManifest: [{ paths: [`./${WEIGHTS}`], weights: weightSpecs ?? [] }],
      };
      await writeThenRename(join(folder, WEIGHTS), weights);
      await writeThenRename(join(folder, 'model.json'), JSON.stringify(modelJson));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          weightDataBytes: weights.byteLength,
        },
      };
    },
    async load() {
      const { weightsManifest, ...rest } = JSON.parse(
        await readFile(join(folder, 'model.json'), 'utf8'),
      ) as tf.io.ModelJSON;
      const bytes = await readFile(join(folder, WEIGHTS));
      return {
        ...rest,
        weightSpecs: weightsManifest.flatMap((group) => group.weights),
        weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
      };
    },
  };
}

function toBytes(data: tf.io.WeightData | undefined): Uint8Array {
  const buffers = data === undefined ? [] : Array.isArray(data) ? data : [data];
  const out = new Uint8Array(buffers.reduce((n, b) => n + b.byteLength, 0));
  let offset = 0;
  for (const buffer of buffers) {
    out.set(new Uint8Array(buffer), offset);
    offset += buffer.byteLength;
  }
  return out;
}

async function writeThenRename(path: string, data: Uint8Array | string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, data);
  await rename(temporary, path);
}
