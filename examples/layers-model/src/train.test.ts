import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { fromLayersModel } from '@perturb/classifiers';
import { Rng, initBackend, rebuildModule } from '@perturb/core';
import { Glow, type GlowConfig } from '@perturb/flows';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { folderHandler } from './file-handler';
import { MODEL_SITES, type ModelKind, buildModel } from './model';
import { TINY_RUN as TINY } from './tiny-run';
import { disposeRun, runLayersModelExample } from './train';

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'perturb-layers-model-'));
  tempDirs.push(dir);
  return dir;
}
beforeAll(async () => {
  await initBackend({ backend: 'wasm', log: false });
});
afterAll(() => tempDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/** The initial weights of the model a run starts from (the same seeded build). */
function initialState(kind: ModelKind): Record<string, tf.Tensor> {
  const classifier = fromLayersModel(buildModel(kind, [28, 28, 1], 10, 0), { sites: [...MODEL_SITES] });
  const state = Object.fromEntries(Object.entries(classifier.stateDict()).map(([k, v]) => [k, tf.clone(v)]));
  classifier.dispose();
  return state;
}

describe.each(['sequential', 'functional'] as const)(
  'a %s LayersModel trained with LA-Glow random + A-FAN',
  (kind) => {
    it('lowers its loss, moves its BatchNorm statistics, resumes bit-identically and saves through tf.io', async () => {
      const options = { ...TINY, model: kind, site: 'block1' as const };
      const live = tf.memory().numTensors;
      const initial = initialState(kind);
      const run = await runLayersModelExample({ ...options, out: tempDir() });
      const { classifier, training } = run;

      const losses = training.epochs.map((e) => e.trainLoss);
      expect(losses).toHaveLength(3);
      expect(losses[2]).toBeLessThan(losses[0]);
      for (const [name, value] of classifier.namedBuffers()) {
        expect(maxAbsDiff(value, initial[name]), name).toBeGreaterThan(1e-3);
      }

      // Interrupted after its first epoch, then run again: it resumes from the checkpoint.
      const interruptedOut = tempDir();
      await expect(
        runLayersModelExample({
          ...options,
          out: interruptedOut,
          onEpochEnd: () => {
            throw new Error('interrupted');
          },
        }),
      ).rejects.toThrow('interrupted');
      const resumed = await runLayersModelExample({ ...options, out: interruptedOut });
      expect(resumed.training.resumedEpochs).toBe(1);
      for (const [name, value] of Object.entries(classifier.stateDict())) {
        expect(maxAbsDiff(value, resumed.classifier.stateDict()[name]), name).toBe(0);
      }
      disposeRun(resumed);

      // What model.save wrote loads with tf.loadLayersModel and predicts what the trained model does.
      const loaded = await tfl.loadLayersModel(folderHandler(run.modelFolder));
      const x = new Rng(1).uniformTensor([4, 28, 28, 1]) as tf.Tensor4D;
      const trained = tf.tidy(() => tf.softmax(classifier.logits(x, { training: false })));
      const predicted = loaded.predict(x) as tf.Tensor;
      expect(maxAbsDiff(trained, predicted)).toBe(0);
      // The Glow saved with saveModule rebuilds from its folder alone.
      const glow = await rebuildModule(
        folderHandler(run.glowFolder),
        (c: GlowConfig) => new Glow({ ...c, rng: new Rng(c.seed) }),
      );
      const [a, b] = [run.flow.encode(x), glow.encode(x)];
      expect(a.latents.length).toBe(b.latents.length);
      a.latents.forEach((z, i) => expect(maxAbsDiff(z, b.latents[i])).toBe(0));

      tf.dispose([x, trained, predicted, ...a.latents, ...b.latents, a.logdet, b.logdet, initial]);
      glow.dispose();
      loaded.dispose();
      disposeRun(run);
      expect(tf.memory().numTensors).toBe(live);
    });
  },
);
