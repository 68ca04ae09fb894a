import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { basename, dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { removeStaleTempFiles, writeFileAtomic } from './atomic';
import { initBackend } from './backend';
import { PerturbError } from './errors';
import {
  loadCheckpoint,
  loadSafetensors,
  rebuildFromCheckpoint,
  saveCheckpoint,
  saveSafetensors,
} from './checkpoint-files';
import { Module } from './module';
import { decodeSafetensors, encodeSafetensors } from './safetensors';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

class Tiny extends Module {
  readonly w: tf.Variable;
  constructor(value: number) {
    super();
    this.w = this.addParameter('w', tf.fill([2, 3], value));
    this.addBuffer('count', tf.scalar(7, 'int32'));
  }
}

describe('safetensors', () => {
  it('round-trips float32, int32 and bool tensors with metadata', () => {
    const tensors = {
      b: tf.tensor([
        [1.5, -2],
        [3, 4.25],
      ]),
      a: tf.tensor([1, 2, 3], [3], 'int32'),
      c: tf.tensor([true, false], [2], 'bool'),
    };
    const bytes = encodeSafetensors(tensors, { note: 'hi' });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + headerLength)).toString());
    expect(header.a).toEqual({ dtype: 'I32', shape: [3], data_offsets: [0, 12] });
    const { tensors: out, metadata } = decodeSafetensors(bytes);
    expect(metadata).toEqual({ note: 'hi' });
    expect(out.b.arraySync()).toEqual([
      [1.5, -2],
      [3, 4.25],
    ]);
    expect(out.a.dtype).toBe('int32');
    expect(out.c.arraySync()).toEqual([1, 0]);
  });

  it('aligns the data after metadata of non-ASCII text, counted in bytes', () => {
    const bytes = encodeSafetensors({ w: tf.tensor([0.5, -1]) }, { note: 'ε = 0.5 → größer' });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(metadata).toEqual({ note: 'ε = 0.5 → größer' });
    expect(Array.from(tensors.w.dataSync())).toEqual([0.5, -1]);
  });

  it('names the file and the problem when it is truncated or not safetensors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-st-'));
    const path = join(dir, 'model.safetensors');
    saveSafetensors(path, { w: tf.ones([100]) });
    writeFileSync(path, readFileSync(path).subarray(0, 200));
    expect(() => loadSafetensors(path)).toThrow(
      `${path} is not a valid safetensors file (data of "w" is truncated)`,
    );
    writeFileSync(path, 'garbage!');
    expect(() => loadSafetensors(path)).toThrow(/not a valid safetensors file/);
    expect(() => loadSafetensors(join(dir, 'none.safetensors'))).toThrow(/does not exist/);
  });

  it('writes atomically: no temp files stay behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-st-'));
    saveSafetensors(join(dir, 'a.safetensors'), { w: tf.ones([4]) });
    saveSafetensors(join(dir, 'a.safetensors'), { w: tf.zeros([4]) });
    expect(readdirSync(dir)).toEqual(['a.safetensors']);
  });
});

describe('checkpoints', () => {
  it('save → load restores module state, extra tensors and metadata', () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-ckpt-'));
    const path = join(dir, 'ckpt.safetensors');
    const source = new Tiny(3);
    saveCheckpoint(path, source, { epoch: 4 }, { 'optimizer.m.w': tf.fill([2, 3], 0.5) });
    const target = new Tiny(0);
    const { meta, tensors } = loadCheckpoint<{ epoch: number }>(path, target);
    expect(meta.epoch).toBe(4);
    expect(Array.from(target.w.dataSync())).toEqual([3, 3, 3, 3, 3, 3]);
    expect(Array.from(tensors['optimizer.m.w'].dataSync())).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
  });

  it('rebuilds a module from its metadata, and frees everything when the state does not fit', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'perturb-ckpt-')), 'ckpt.safetensors');
    const source = new Tiny(3);
    saveCheckpoint(path, source, { value: 0 }, { 'optimizer.m.w': tf.fill([2, 3], 0.5) });
    source.dispose();
    const before = tf.memory().numTensors;
    const rebuilt = rebuildFromCheckpoint<{ value: number }, Tiny>(path, (meta) => new Tiny(meta.value));
    expect(Array.from(rebuilt.w.dataSync())).toEqual([3, 3, 3, 3, 3, 3]);
    rebuilt.dispose();
    expect(tf.memory().numTensors).toBe(before);
    class Wider extends Module {
      constructor() {
        super();
        this.addParameter('w', tf.zeros([4]));
      }
    }
    expect(() => rebuildFromCheckpoint(path, () => new Wider())).toThrow();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('checkpoint faults', () => {
  const fresh = () => join(mkdtempSync(join(tmpdir(), 'perturb-ckpt-')), 'ckpt.safetensors');

  it('refuses to save a non-finite tensor, naming it, and keeps the last good checkpoint', () => {
    const path = fresh();
    const model = new Tiny(1);
    saveCheckpoint(path, model, { epoch: 1 });
    const good = readFileSync(path);
    model.w.assign(
      tf.tensor([
        [1, NaN, 1],
        [1, 1, 1],
      ]),
    );
    expect(() => saveCheckpoint(path, model, { epoch: 2 })).toThrow(
      /not saving the checkpoint .*"model\.w" holds NaN.*the last good checkpoint is kept/,
    );
    expect(() =>
      saveCheckpoint(path, new Tiny(1), { epoch: 2 }, { 'optimizer.v': tf.fill([2], Infinity) }),
    ).toThrow('"optimizer.v" holds Infinity');
    expect(readFileSync(path).equals(good)).toBe(true);
    expect(readdirSync(dirname(path))).toEqual(['ckpt.safetensors']);
  });

  /** A checkpoint file with `tensors` and `metadata` written directly, as damage or another tool would. */
  function writeRaw(tensors: Record<string, tf.Tensor>, metadata?: Record<string, string>): string {
    const path = fresh();
    writeFileSync(path, encodeSafetensors(tensors, metadata));
    return path;
  }

  it.each([
    [
      'NaN bytes',
      () =>
        writeRaw(
          {
            'model.w': tf.tensor([
              [1, 1, NaN],
              [1, 1, 1],
            ]),
            'model.count': tf.scalar(7, 'int32'),
          },
          { perturb: '{}' },
        ),
      /the checkpoint .* is damaged: "model\.w" holds NaN\. delete it/,
    ],
    [
      'metadata that is not JSON',
      () => writeRaw({}, { perturb: '{"epoch": 3' }),
      /the run state in .* is not valid JSON/,
    ],
    ['no metadata', () => writeRaw({}), /holds no perturb run state/],
    ['a folder', () => dirname(fresh()), /is a folder, not a file\. pass the path of the \.safetensors file/],
  ])('refuses to load a checkpoint with %s, in one clear line, leaking nothing', (_case, make, message) => {
    const path = make();
    const model = new Tiny(0);
    const before = tf.memory().numTensors;
    expect(() => loadCheckpoint(path, model)).toThrow(PerturbError);
    expect(() => loadCheckpoint(path, model)).toThrow(message);
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(model.w.dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('saves and loads ±Infinity in buffers, which may mean "unset", but never NaN', () => {
    class Range extends Module {
      readonly low = this.addBuffer('low', tf.fill([2], -Infinity));
    }
    const path = fresh();
    saveCheckpoint(path, new Range(), {});
    const loaded = new Range();
    loaded.low.assign(tf.zeros([2]));
    loadCheckpoint(path, loaded);
    expect(Array.from(loaded.low.dataSync())).toEqual([-Infinity, -Infinity]);
    loaded.low.assign(tf.fill([2], NaN));
    expect(() => saveCheckpoint(path, loaded, {})).toThrow('"model.low" holds NaN');
  });

  it('refuses to write over a folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-ckpt-'));
    expect(() => saveCheckpoint(dir, new Tiny(1), {})).toThrow(/is a folder, not a file/);
  });
});

describe('temp files of interrupted writes', () => {
  it('are removed by the next write when their process is gone, and kept while it runs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-atomic-'));
    const path = join(dir, 'ckpt.safetensors');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
    const stale = join(dir, `.ckpt.safetensors.${dead}.1700000000000.tmp`);
    const live = join(dir, `.ckpt.safetensors.${process.ppid}.1700000000000.tmp`);
    const other = join(dir, `.other.safetensors.${dead}.1700000000000.tmp`);
    // Written on another host sharing the folder: its writer may well be alive there.
    const remote = join(dir, `.ckpt.safetensors.${dead}.1700000000000.0badc0de.tmp`);
    for (const file of [stale, live, other, remote]) writeFileSync(file, 'partial');
    expect(removeStaleTempFiles(path)).toEqual([stale]);
    writeFileSync(stale, 'partial');
    writeFileAtomic(path, 'done');
    expect(readdirSync(dir).sort()).toEqual(
      [basename(live), basename(other), basename(remote), 'ckpt.safetensors'].sort(),
    );
  });
});
