import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dataset } from '@perturb/datasets';
import { describe, expect, it } from 'vitest';
import { runTrainVaeGan, vaeGanStepPlan } from './run-train-vaegan';
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
      /holds VAE-GANs trained with other settings/,
    );
  });
});
