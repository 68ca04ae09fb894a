/**
 * Modules saved and loaded through TensorFlow.js's `tf.io` handlers, so a trained perturb model
 * goes wherever tfjs models go: IndexedDB, local storage, downloads or an HTTP server in a
 * browser, memory anywhere, files in Node through a file handler. The artifacts are tf.io's own
 * (`weightSpecs` + `weightData`, state dict names as weight names); the model topology is the
 * caller's JSON configuration, so a module can be rebuilt from what was saved alone, as
 * `rebuildFromCheckpoint` does for safetensors checkpoints. Browser-safe: no Node module here.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PerturbError } from './errors';
import type { Module } from './module';

/** The `format` of the artifacts {@link saveModule} writes. */
export const MODULE_FORMAT = 'perturb-module';

/** Where a module is saved or loaded from: a tf.io URL (`indexeddb://name`) or a handler. */
export type ModuleLocation = string | tf.io.IOHandler;

/** What {@link readModule} returns: the saved configuration and state, owned by the caller. */
export interface SavedModule<Config> {
  config: Config;
  state: tf.NamedTensorMap;
}

/**
 * Saves `module`'s parameters and buffers and its JSON `config` (what rebuilds the module, e.g.
 * a Glow's configuration) through a tf.io handler or URL. A tensor holding NaN is refused before
 * anything is written, so a diverged model never replaces a saved one.
 */
export async function saveModule(
  module: Module,
  destination: ModuleLocation,
  config: unknown,
): Promise<tf.io.SaveResult> {
  const handler = resolveHandler(destination, 'save');
  const state = module.stateDict();
  const nan = Object.keys(state).find((name) => state[name].dtype === 'float32' && holdsNaN(state[name]));
  if (nan !== undefined) {
    throw new PerturbError(
      `not saving ${describe(destination)}: "${nan}" holds NaN (the training diverged)`,
      'save a model from before the divergence (its last good checkpoint)',
    );
  }
  const { data, specs } = await tf.io.encodeWeights(state);
  return (handler.save as NonNullable<tf.io.IOHandler['save']>)({
    format: MODULE_FORMAT,
    generatedBy: 'perturb',
    modelTopology: { config: config ?? null } as object,
    weightSpecs: specs,
    weightData: data,
  });
}

/**
 * Reads what {@link saveModule} wrote, without a module: for loaders that build the module from
 * the configuration first. The caller owns (and disposes) the state's tensors.
 */
export async function readModule<Config>(source: ModuleLocation): Promise<SavedModule<Config>> {
  const handler = resolveHandler(source, 'load');
  const artifacts = await (handler.load as NonNullable<tf.io.IOHandler['load']>)();
  const topology = artifacts.modelTopology as { config?: unknown } | undefined;
  if (artifacts.format !== MODULE_FORMAT || !topology || !('config' in topology)) {
    throw new PerturbError(
      `${describe(source)} is not a perturb module (its format is "${artifacts.format ?? 'not given'}")`,
      artifacts.format === 'layers-model'
        ? 'load a Keras/tfjs layers model with tf.loadLayersModel and wrap it with fromLayersModel'
        : 'pass what saveModule wrote',
    );
  }
  if (!artifacts.weightSpecs || !artifacts.weightData) {
    throw new PerturbError(`${describe(source)} holds no weights`, 'save it again with saveModule');
  }
  return {
    config: topology.config as Config,
    state: tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs),
  };
}

/**
 * Loads what {@link saveModule} wrote into `module` (strictly: every name and shape must match,
 * and nothing is assigned otherwise) and returns the saved configuration.
 */
export async function loadModuleWeights<Config = unknown>(
  module: Module,
  source: ModuleLocation,
): Promise<Config> {
  const { config, state } = await readModule<Config>(source);
  try {
    module.loadStateDict(state);
  } finally {
    tf.dispose(Object.values(state));
  }
  return config;
}

/**
 * Rebuilds a module from what {@link saveModule} wrote: `build` makes it from the saved
 * configuration, then the weights are loaded into it. On failure the half-built module is freed.
 */
export async function rebuildModule<Config, M extends Module>(
  source: ModuleLocation,
  build: (config: Config) => M,
): Promise<M> {
  const { config, state } = await readModule<Config>(source);
  try {
    return buildLoaded(() => build(config), state);
  } finally {
    tf.dispose(Object.values(state));
  }
}

/**
 * `build()` with `state` loaded into it; if loading fails the new module is freed before the
 * error propagates (the caller never sees it, so could not free it). `state` stays the caller's.
 */
export function buildLoaded<M extends Module>(build: () => M, state: Record<string, tf.Tensor>): M {
  const module = build();
  try {
    module.loadStateDict(state);
  } catch (error) {
    module.dispose();
    throw error;
  }
  return module;
}

function holdsNaN(t: tf.Tensor): boolean {
  return tf.tidy(() => tf.any(tf.isNaN(t)).dataSync()[0] === 1);
}

function describe(location: ModuleLocation): string {
  return typeof location === 'string' ? location : 'the tf.io handler';
}

/** The handler behind a URL (tf.io's routers: indexeddb://, localstorage://, http(s)://, …), checked. */
function resolveHandler(location: ModuleLocation, direction: 'save' | 'load'): tf.io.IOHandler {
  const handlers =
    typeof location !== 'string'
      ? [location]
      : direction === 'save'
        ? tf.io.getSaveHandlers(location)
        : tf.io.getLoadHandlers(location);
  const [handler] = handlers;
  if (handlers.length !== 1 || typeof handler[direction] !== 'function') {
    throw new PerturbError(
      typeof location === 'string'
        ? `no tf.io handler can ${direction} "${location}" here`
        : `the tf.io handler has no ${direction} method`,
      'use a URL this environment has a handler for (indexeddb://, localstorage://, http(s):// in a browser) or pass an IOHandler, e.g. a file handler in Node',
    );
  }
  return handler;
}
