/**
 * `perturb train` on a folder of one's own photos, through the config path a user takes: a YAML
 * file naming the `image-folder` dataset and its options, read, resolved and trained for a step.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRgbPng } from '@perturb/datasets';
import { describe, expect, it } from 'vitest';
import { readConfigFile, resolveConfig } from './config';
import { runTrain } from './run-train';

/** Writes `count` 30×30 PNGs per class, each class a colour, into `root/<split>/<class>/`. */
function writePhotos(root: string, split: string, count: number): void {
  const colours: Record<string, number[]> = { cat: [200, 40, 40], dog: [40, 40, 200] };
  for (const [name, rgb] of Object.entries(colours)) {
    mkdirSync(join(root, split, name), { recursive: true });
    for (let n = 0; n < count; n++) {
      const data = Uint8Array.from({ length: 30 * 30 * 3 }, (_, i) => rgb[i % 3] + n);
      writeFileSync(
        join(root, split, name, `${n}.png`),
        encodeRgbPng({ width: 30, height: 30, channels: 3, data }),
      );
    }
  }
}

describe('perturb train on an image folder', () => {
  it('trains lenet5 for a step on gray 28×28 crops, as the YAML asks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-image-folder-'));
    writePhotos(join(dir, 'photos'), 'train', 3);
    writePhotos(join(dir, 'photos'), 'val', 2);
    const file = join(dir, 'train.yaml');
    writeFileSync(
      file,
      [
        'dataset: image-folder',
        `dataRoot: ${join(dir, 'photos')}`,
        'datasetOptions: { testSplit: val, size: 28, channels: 1 }',
        'model: lenet5',
        'batchSize: 4',
        'steps: 1',
        `out: ${join(dir, 'run')}`,
      ].join('\n'),
    );
    const result = await runTrain(resolveConfig([readConfigFile(file)], file), { progress: false });
    expect(result.epochs.map((e) => e.step)).toEqual([1]);
    expect(result.test.count).toBe(4);
    const recorded = JSON.parse(readFileSync(join(dir, 'run', 'result.json'), 'utf8'));
    expect(recorded.config.datasetOptions).toEqual({ testSplit: 'val', size: 28, channels: 1 });
  });

  it('refuses a dataset setting of its own written in datasetOptions', () => {
    expect(() =>
      resolveConfig(
        [{ dataset: 'image-folder', datasetOptions: { dataRoot: 'photos', size: 28 } }],
        'a.yaml',
      ),
    ).toThrow(/datasetOptions.*write dataRoot as a setting of its own, not in datasetOptions/);
  });
});
