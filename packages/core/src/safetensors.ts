/**
 * Checkpoints in the safetensors format (https://github.com/huggingface/safetensors): an 8-byte
 * little-endian header length, a JSON header of `{name: {dtype, shape, data_offsets}}` plus an
 * optional `__metadata__` string map, then the raw little-endian tensor bytes. Python
 * (`safetensors.torch.load_file`) and Rust read these files directly.
 *
 * Bytes in, bytes out (`Uint8Array`, no `Buffer`), so this runs anywhere; reading and writing
 * files is `checkpoint-files.ts`, in the Node entry.
 */
import * as tf from '@tensorflow/tfjs-core';
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
  const json = new TextEncoder().encode(JSON.stringify(header));
  // Spaces after the JSON keep the tensor data 8-byte aligned (counted in bytes, not characters).
  const jsonBytes = new Uint8Array(json.length + ((8 - (json.length % 8)) % 8)).fill(0x20);
  jsonBytes.set(json);
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
    header = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)),
    );
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
    // Copy into a fresh, aligned ArrayBuffer: the bytes may be a view into a larger one (Node's
    // Buffer pool, a fetched file) at an offset a Float32Array cannot start at.
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
