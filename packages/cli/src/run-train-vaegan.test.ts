import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dataset } from '@perturb/datasets';
import { describe, expect, it, vi } from 'vitest';
import { ModelsProgress, runTrainVaeGan, vaeGanStepPlan } from './run-train-vaegan';
import { runPerturb } from './testing/perturb-process';
import { resolveVaeGanTrainingConfig } from './vaegan-config';

describe('perturb train-vaegan', () => {
  it('lays every model’s steps end to end for one progress bar', () => {
    const dataset = { labels: new Uint8Array([0, 0, 0, 1, 2, 2]), numClasses: 3 } as unknown as Dataset;
    // Batches of 2: class 0 has 2 per epoch, classes 1 and 2 one each, all six images 3.
    expect(vaeGanStepPlan(dataset, { batchSize: 2, epochs: 10, classAgnostic: false })).toEqual({
      offsets: { 'class-0': 0, 'class-1': 20, 'class-2': 30 },
      total: 40,
    });
    expect(vaeGanStepPlan(dataset, { batchSize: 2, epochs: 10, classAgnostic: true }).offsets.agnostic).toBe(
      40,
    );
  });

  it('leaves steps done before this run out of the rate, even when a resumed model is heard of late', () => {
    vi.useFakeTimers({ now: 0 });
    try {
      const lines: string[] = [];
      const progress = new ModelsProgress({ offsets: { 'class-0': 0, 'class-1': 100 }, total: 200 }, true, {
        isTTY: false,
        write: (text) => lines.push(text),
      });
      const at = (step: number) => ({ epoch: 1, epochs: 1, step, stepsPerEpoch: 100 });
      // Two children resume from step 50 and 60; the second is heard of once the bar runs.
      progress.step('class-0', at(51));
      vi.advanceTimersByTime(10_000);
      progress.step('class-1', at(61));
      progress.step('class-0', at(52));
      vi.advanceTimersByTime(10_000);
      progress.step('class-1', at(62));
      // 3 steps timed in 20 s (the first of each model after the bar's first is one of them).
      expect(lines.at(-1)).toMatch(/ 114\/200 20s ETA 9m33s /);
    } finally {
      vi.useRealTimers();
    }
  });

  it('trains one model per class, writes result.json, and skips them when run again', async () => {
    const out = mkdtempSync(join(tmpdir(), 'perturb-vaegan-'));
    const config = resolveVaeGanTrainingConfig([
      { trainSize: 20, latentSize: 2, widths: [4], epochs: 1, batchSize: 2, out },
    ]);
    const first = await runTrainVaeGan(config, { progress: false });
    expect(first.classes).toBe(10);
    expect(Object.values(first.epochsRun)).toEqual(new Array(10).fill(1));
    for (let k = 0; k < 10; k++) expect(existsSync(join(out, `class-${k}.safetensors`))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')).config).toEqual(config);
    const again = await runTrainVaeGan(config, { progress: false });
    expect(Object.values(again.epochsRun)).toEqual(new Array(10).fill(0));
    const otherData = resolveVaeGanTrainingConfig([
      { trainSize: 30, latentSize: 2, widths: [4], epochs: 1, batchSize: 2, out },
    ]);
    await expect(runTrainVaeGan(otherData, { progress: false })).rejects.toThrow(
      /holds VAE-GANs trained with other settings than these \(trainSize 20 → 30\)/,
    );
    // A folder from before the batchNorm setting names it as what changed.
    const settingsPath = join(out, 'settings.json');
    const { batchNorm: _, ...before } = JSON.parse(readFileSync(settingsPath, 'utf8'));
    writeFileSync(settingsPath, JSON.stringify(before));
    await expect(runTrainVaeGan(config, { progress: false })).rejects.toThrow(/\(batchNorm unset → true\)/);
  });

  it('trains the same models with --jobs 2, a class per child process, as in one process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-vaegan-jobs-'));
    const train = async (name: string, flags: string[]) => {
      const config = join(dir, `${name}.yaml`);
      const out = join(dir, name);
      writeFileSync(
        config,
        `trainSize: 20\nlatentSize: 2\nwidths: [4]\nepochs: 2\nbatchSize: 4\nout: ${out}\n`,
      );
      const { code, stdout, stderr } = await runPerturb(['train-vaegan', '--config', config, ...flags]);
      expect(stderr).not.toMatch(/error/i);
      expect([code, stdout]).toEqual([0, `10 class-specific VAE-GANs → ${out}\n`]);
      return out;
    };
    const [alone, split] = [await train('alone', ['--quiet']), await train('split', ['--jobs', '2'])];
    for (let k = 0; k < 10; k++) {
      expect(tensorBytes(join(split, `class-${k}.safetensors`))).toEqual(
        tensorBytes(join(alone, `class-${k}.safetensors`)),
      );
    }
    expect(JSON.parse(readFileSync(join(split, 'result.json'), 'utf8')).epochsRun).toEqual(
      Object.fromEntries(Array.from({ length: 10 }, (_, k) => [`class-${k}`, 2])),
    );
    const stray = await runPerturb([
      'train-vaegan',
      '--worker',
      JSON.stringify({ config: { out: split }, classes: [0] }),
    ]);
    const refusal =
      'perturb: --worker is only for the child processes of `perturb train-vaegan --jobs`. run `perturb train-vaegan --jobs <n>` instead';
    expect([stray.code, stray.stderr.trim()]).toEqual([2, refusal]);
    const typed = await runPerturb(['train-vaegan', '--worker', 'class 3']);
    expect([typed.code, typed.stderr.trim()]).toEqual([2, refusal]);
  }, 120_000);
});

/** A safetensors file's tensor data, without its header (which records training times). */
function tensorBytes(path: string): Buffer {
  const file = readFileSync(path);
  return file.subarray(8 + Number(file.readBigUInt64LE(0)));
}
