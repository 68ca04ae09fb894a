/**
 * Checkpoints in the safetensors format (https://github.com/huggingface/safetensors): an 8-byte
 * little-endian header length, a JSON header of `{name: {dtype, shape, data_offsets}}` plus an
 * optional `__metadata__` string map, then the raw little-endian tensor bytes. Python
 * (`safetensors.torch.load_file`) and Rust read these files directly.
 */
import { readFileSync, existsSync, statSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { writeFileAtomic } from './atomic';
import { PerturbError } from './errors';

const DTYPES = { float32: 'F32', int32: 'I32', bool: 'BOOL' } as const;
type SupportedDtype = keyof typeof DTYPES;
const FROM_SAFETENSORS: Record<string, SupportedDtype> = { F32: 'float32', I32: 'int32', BOOL: 'bool' };

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Encodes tensors (and string metadata) as safetensors bytes. Names are written sorted. */
export function encodeSafetensors(
  tensors: Record<string, tf.Tensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    if (!(t.dtype in DTYPES)) {
      throw new PerturbError(
        `cannot save "${name}" of dtype ${t.dtype}`,
        'cast it to float32 or int32 first',
      );
    }
    const values = t.dataSync();
    const bytes =
      t.dtype === 'bool'
        ? Uint8Array.from(values as Uint8Array)
        : new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice();
    header[name] = {
      dtype: DTYPES[t.dtype as SupportedDtype],
      shape: t.shape,
      data_offsets: [offset, offset + bytes.length],
    };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8); // keeps tensor data 8-byte aligned
  const jsonBytes = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + jsonBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(jsonBytes.length), true);
  out.set(jsonBytes, 8);
  let at = 8 + jsonBytes.length;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** Decodes safetensors bytes; `source` names the file in errors. */
export function decodeSafetensors(
  bytes: Uint8Array,
  source = 'safetensors data',
): { tensors: Record<string, tf.Tensor>; metadata: Record<string, string> } {
  const corrupt = (what: string) =>
    new PerturbError(`${source} is not a valid safetensors file (${what})`, 'delete it and save it again');
  if (bytes.length < 8) throw corrupt('shorter than its 8-byte header length');
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (headerLength > bytes.length - 8) throw corrupt('truncated header');
  let header: Record<string, HeaderEntry | Record<string, string>>;
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + headerLength)).toString('utf8'));
  } catch {
    throw corrupt('header is not JSON');
  }
  const dataStart = 8 + headerLength;
  const tensors: Record<string, tf.Tensor> = {};
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets } = entry as HeaderEntry;
    const tfDtype = FROM_SAFETENSORS[dtype];
    if (!tfDtype) throw corrupt(`"${name}" has unsupported dtype ${dtype}`);
    const [begin, end] = data_offsets;
    if (dataStart + end > bytes.length) throw corrupt(`data of "${name}" is truncated`);
    // Copy into a fresh ArrayBuffer: Node's Buffer.slice returns a view into a shared pool.
    const raw = new Uint8Array(bytes.subarray(dataStart + begin, dataStart + end));
    const values =
      tfDtype === 'float32'
        ? new Float32Array(raw.buffer)
        : tfDtype === 'int32'
          ? new Int32Array(raw.buffer)
          : raw;
    const size = shape.reduce((a, b) => a * b, 1);
    if (values.length !== size) throw corrupt(`"${name}" holds ${values.length} values for shape [${shape}]`);
    tensors[name] = tf.tensor(values, shape, tfDtype);
  }
  return { tensors, metadata };
}

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
  if (!existsSync(path)) {
    throw new PerturbError(`checkpoint ${path} does not exist`, 'check the path, or train the model first');
  }
  if (statSync(path).isDirectory()) {
    throw new PerturbError(
      `checkpoint ${path} is a folder, not a file`,
      'pass the path of the .safetensors file inside it',
    );
  }
  return decodeSafetensors(readFileSync(path), path);
}
