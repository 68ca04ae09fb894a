/**
 * The recipe's configs are what `perturb` accepts and what the paper describes, and they run end
 * to end — through the `perturb` binary, as a user runs them — on a few generated CIFAR-10 files.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { readConfigFile, resolveConfig, resolveFlowConfig, type TrainRunResult } from '@perturb/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const recipeDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const flowConfig = join(recipeDir, 'flow.yaml');
const trainConfig = join(recipeDir, 'train.yaml');
const perturbBin = join(
  dirname(createRequire(import.meta.url).resolve('@perturb/cli/package.json')),
  'dist/bin.js',
);

const RECORD_BYTES = 1 + 32 * 32 * 3;
/** Records per batch file: the loader refuses a batch of any other size as cut short. */
const RECORDS = 10_000;
/** Records with random pixels; the runs below use only the first image of each class. */
const DRAWN = 20;

/** A CIFAR-10 batch file: record i is labelled i % 10, a label byte then 3072 pixel bytes (channel-major). */
function cifarBatch(seed: number): Buffer {
  const bytes = Buffer.alloc(RECORDS * RECORD_BYTES);
  let state = seed;
  for (let i = 0; i < RECORDS; i++) {
    bytes[i * RECORD_BYTES] = i % 10;
    if (i >= DRAWN) continue; // left black: never read
    for (let p = 1; p < RECORD_BYTES; p++) {
      state = (state * 1103515245 + 12345) >>> 0; // a fixed LCG: the same files every run
      bytes[i * RECORD_BYTES + p] = state >>> 24;
    }
  }
  return bytes;
}

/** `$PERTURB_DATA/cifar10/cifar-10-batches-bin/` as the archive extracts it: five training batches and a test batch. */
function writeCifar10(root: string): void {
  const dir = join(root, 'cifar10', 'cifar-10-batches-bin');
  mkdirSync(dir, { recursive: true });
  for (let b = 1; b <= 5; b++) writeFileSync(join(dir, `data_batch_${b}.bin`), cifarBatch(b));
  writeFileSync(join(dir, 'test_batch.bin'), cifarBatch(99));
}

/** flow.yaml with 10 training and 10 test images, so its per-epoch evaluation is quick too. */
function writeSmallFlowConfig(cwd: string): string {
  const path = join(cwd, 'flow-small.yaml');
  writeFileSync(path, `${readFileSync(flowConfig, 'utf8')}\ntrainSize: 10\ntestSize: 10\n`);
  return path;
}

const run = promisify(execFile);

/** Runs `perturb <args>` in `cwd` with the generated data, as a user would from this folder. */
async function perturb(cwd: string, args: string[]): Promise<void> {
  try {
    await run(process.execPath, [perturbBin, ...args, '--quiet'], {
      cwd,
      env: { ...process.env, PERTURB_DATA: cwd, PERTURB_DOWNLOAD: '0' },
    });
  } catch (error) {
    throw new Error(`perturb ${args.join(' ')} failed:\n${(error as { stderr?: string }).stderr ?? error}`);
  }
}

describe('the CIFAR-10 ResNet-18 recipe', () => {
  it('is the paper’s setting: ResNet-18, crop + flip + latent PGD (L2, ε = 1, α = 0.5, 3 steps), SGD', () => {
    const config = resolveConfig([readConfigFile(trainConfig)], trainConfig);
    expect(config).toMatchObject({
      dataset: 'cifar10',
      model: 'resnet18',
      optimizer: { name: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
      lr: 0.1,
      schedule: { name: 'multistep', milestones: [60, 120, 160], gamma: 0.2 },
      batchSize: 128,
      epochs: 200,
    });
    expect(config.augmenters).toEqual([
      { name: 'randomCrop', options: { padding: 4 } },
      { name: 'horizontalFlip', options: {} },
      {
        name: 'latentAdversarial',
        options: { flow: 'runs/cifar10-resnet18/flow/checkpoint.safetensors', preset: 'cifar10-paper' },
      },
    ]);
    const flow = resolveFlowConfig([readConfigFile(flowConfig)], flowConfig);
    expect(flow).toMatchObject({
      dataset: 'cifar10',
      levels: 3,
      depth: 32,
      hidden: 512,
      splitPrior: 'standard',
    });
    expect(flow).toMatchObject({ optimizer: 'adamax', lr: 5e-4, weightDecay: 5e-5, batchSize: 64 });
    // train.yaml reads the checkpoint where flow.yaml writes it.
    expect(config.augmenters[2].options.flow).toBe(join(flow.out, 'checkpoint.safetensors'));
  });

  describe('run for two steps on generated CIFAR-10 files', () => {
    let cwd: string;
    let result: TrainRunResult;

    beforeAll(async () => {
      cwd = mkdtempSync(join(tmpdir(), 'perturb-cifar10-recipe-'));
      writeCifar10(cwd);
      // A one-level flow for one epoch, then one epoch of two 5-image batches: every stage, in seconds.
      const tinyFlow = ['--levels', '1', '--depth', '1', '--hidden', '8', '--epochs', '1'];
      await perturb(cwd, ['train-flow', '--config', writeSmallFlowConfig(cwd), ...tinyFlow]);
      const tinyRun = ['--train-size', '10', '--test-size', '10', '--batch-size', '5', '--epochs', '1'];
      await perturb(cwd, ['train', '--config', trainConfig, ...tinyRun]);
      result = JSON.parse(readFileSync(join(cwd, 'runs/cifar10-resnet18/la-glow/result.json'), 'utf8'));
    });

    // The run leaves a ResNet-18 checkpoint of about 90 MB.
    afterAll(() => rmSync(cwd, { recursive: true, force: true }));

    it('trains the flow, then the classifier through it, and writes the run’s files', () => {
      expect(existsSync(join(cwd, 'runs/cifar10-resnet18/flow/checkpoint.safetensors'))).toBe(true);
      for (const file of ['checkpoint.safetensors', 'metrics.jsonl', 'augmented.png']) {
        expect(existsSync(join(cwd, 'runs/cifar10-resnet18/la-glow', file))).toBe(true);
      }
      expect(result.config.model).toBe('resnet18');
      expect(result.test.count).toBe(10);
      expect(result.testAccuracy).toBeGreaterThanOrEqual(0);
      expect(result.testAccuracy).toBeLessThanOrEqual(1);
      expect(Number.isFinite(result.epochs[0].trainLoss)).toBe(true);
    });

    it('changes the training images, within [0, 1]', () => {
      expect(result.augmentation).not.toBeNull();
      expect(result.augmentation!.meanLinf).toBeGreaterThan(0);
      expect(result.augmentation!.meanLinf).toBeLessThanOrEqual(1);
    });
  });
});
