/** `loadDataset`: resolve a dataset's files, read them, and optionally pad the images. */
import type { DatasetSpec } from './catalog';
import type { Dataset } from './dataset';
import type { ReadLocatedOptions } from './locate';
import { readLocated } from './locate';
import { padDataset } from './pad';
import type { ResolveOptions } from './resolve';
import { datasetSpec, resolveSpec } from './resolve';

/** Options of `loadDataset`. */
export interface LoadOptions extends ResolveOptions, ReadLocatedOptions {
  /** Zero-pad images to `padTo`×`padTo` (e.g. 32 for 28×28 MNIST into CIFAR-style networks). Default: no padding. */
  readonly padTo?: number;
}

/**
 * Loads one split of a known dataset (see `DATASET_NAMES`), looking for its files as
 * `resolveDataset` does. `loadDataset('fashion-mnist-small')` always works offline: it is shipped
 * inside this package.
 */
export async function loadDataset(name: string, options: LoadOptions = {}): Promise<Dataset> {
  return loadSpec(datasetSpec(name), options);
}

/** Like `loadDataset`, for a catalog entry (tests pass their own). */
export async function loadSpec(spec: DatasetSpec, options: LoadOptions = {}): Promise<Dataset> {
  const resolved = await resolveSpec(spec, options);
  const dataset = readLocated(resolved.spec, resolved.files, resolved.split, options);
  return options.padTo === undefined ? dataset : padDataset(dataset, options.padTo);
}
