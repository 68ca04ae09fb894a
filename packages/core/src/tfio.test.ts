import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend';
import { PerturbError } from './errors';
import { Rng } from './rng';
import { TinyClassifier, type TinyClassifierOptions } from './testing/tiny-classifier';
import { MODULE_FORMAT, loadModuleWeights, readModule, rebuildModule, saveModule } from './tfio';

/** A handler that keeps what it saves and loads it back, as IndexedDB or a file would. */
function memoryHandler(): tf.io.IOHandler & { saved?: tf.io.ModelArtifacts } {
  const handler: tf.io.IOHandler & { saved?: tf.io.ModelArtifacts } = {
    save: async (artifacts) => {
      handler.saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    },
    load: async () => handler.saved as tf.io.ModelArtifacts,
  };
  return handler;
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

const images = (): tf.Tensor4D => new Rng(9).uniformTensor([4, 6, 6, 1]) as tf.Tensor4D;

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

describe('saveModule / loadModuleWeights / rebuildModule through tf.io', () => {
  it('round-trips parameters and buffers exactly, with the configuration as model topology', async () => {
    const options: TinyClassifierOptions = { seed: 1, numClasses: 3, width: 4 };
    const trained = new TinyClassifier(options);
    const x = images();
    tf.dispose(trained.logits(x, { training: true })); // moves the BatchNorm running statistics
    const handler = memoryHandler();
    await saveModule(trained, handler, options);
    expect(handler.saved?.format).toBe(MODULE_FORMAT);
    expect(handler.saved?.weightSpecs?.map((s) => s.name)).toEqual(Object.keys(trained.stateDict()));

    const other = new TinyClassifier({ ...options, seed: 2 });
    expect(await loadModuleWeights(other, handler)).toEqual(options);
    const rebuilt = await rebuildModule(
      handler,
      (config: TinyClassifierOptions) => new TinyClassifier(config),
    );
    for (const copy of [other, rebuilt]) {
      for (const [name, value] of Object.entries(trained.stateDict())) {
        expect(maxAbsDiff(value, copy.stateDict()[name]), name).toBe(0);
      }
      const [a, b] = [trained.logits(x, { training: false }), copy.logits(x, { training: false })];
      expect(maxAbsDiff(a, b)).toBe(0);
      tf.dispose([a, b]);
      copy.dispose();
    }
    x.dispose();
    trained.dispose();
  });

  it('leaves no tensor behind when loading fails, and leaves the module as it was', async () => {
    const handler = memoryHandler();
    const small = new TinyClassifier({ width: 4 });
    await saveModule(small, handler, { width: 4 });
    const wide = new TinyClassifier({ width: 8 });
    const before = tf.clone(wide.stateDict()['conv1.weight']);
    const live = tf.memory().numTensors;
    await expect(loadModuleWeights(wide, handler)).rejects.toThrow(/has shape \[3,3,1,4\] in the state dict/);
    await expect(rebuildModule(handler, () => new TinyClassifier({ width: 8 }))).rejects.toThrow(
      PerturbError,
    );
    expect(tf.memory().numTensors).toBe(live);
    expect(maxAbsDiff(before, wide.stateDict()['conv1.weight'])).toBe(0);
    tf.dispose([before]);
    small.dispose();
    wide.dispose();
  });

  it('refuses a module holding NaN before writing anything', async () => {
    const handler = memoryHandler();
    const model = new TinyClassifier({ width: 4 });
    (model.stateDict()['fc.bias'] as tf.Variable).assign(tf.fill([10], NaN));
    await expect(saveModule(model, handler, {})).rejects.toThrow(/"fc\.bias" holds NaN/);
    expect(handler.saved).toBeUndefined();
    model.dispose();
  });

  it('names the problem for a layers model, an unknown URL scheme and a handler without load', async () => {
    const layersHandler = memoryHandler();
    layersHandler.saved = { format: 'layers-model', modelTopology: {} };
    await expect(readModule(layersHandler)).rejects.toThrow(
      /not a perturb module \(its format is "layers-model"\).*tf\.loadLayersModel/,
    );
    const model = new TinyClassifier({ width: 4 });
    await expect(saveModule(model, 'nowhere://model', {})).rejects.toThrow(
      /no tf\.io handler can save "nowhere:\/\/model"/,
    );
    await expect(readModule({ save: memoryHandler().save })).rejects.toThrow(/has no load method/);
    model.dispose();
  });
});
