/** Stratified low-data subsets, validation splits and shuffling, all reproducible from an `Rng`. */
import type { Rng } from '@perturb/core';
import { PerturbError } from '@perturb/core';
import type { Dataset } from './dataset';
import { classCounts, exampleCount, selectExamples } from './dataset';

/** How many examples to take: exactly one of `size` and `fraction`. */
export interface SubsetSize {
  /** Number of examples. */
  readonly size?: number;
  /** Fraction of the dataset in (0, 1], rounded to the nearest count. */
  readonly fraction?: number;
}

/** Size and randomness of a stratified selection. */
export interface StratifiedOptions extends SubsetSize {
  /**
   * Picks which examples of each class (and which classes get the remainder). Default: none,
   * which takes the first examples of each class in file order, and gives the remainder to the
   * lowest class indices.
   */
  readonly rng?: Rng;
}

function requestedSize(dataset: Dataset, { size, fraction }: SubsetSize): number {
  const total = exampleCount(dataset);
  if ((size === undefined) === (fraction === undefined)) {
    throw new PerturbError(
      'a subset needs exactly one of size and fraction',
      'Pass { size: n } or { fraction: f }',
    );
  }
  if (fraction !== undefined && !(fraction > 0 && fraction <= 1)) {
    throw new PerturbError(`subset fraction ${fraction} is outside (0, 1]`, 'Pass a fraction such as 0.1');
  }
  const n = size ?? Math.round(fraction! * total);
  if (!Number.isInteger(n) || n < 0 || n > total) {
    throw new PerturbError(
      `subset size ${n} is not a count in 0..${total} (the size of ${dataset.name})`,
      `Pass a size of at most ${total}`,
    );
  }
  return n;
}

/**
 * Examples per class for a subset of `total`: equal shares (±1, the extra ones going to classes
 * in `order`), and where a class has too few, it gives all it has and the others share the rest.
 */
function allocate(counts: readonly number[], total: number, order: readonly number[]): number[] {
  const quotas = counts.map(() => 0);
  let remaining = total;
  let open = order.filter((c) => counts[c] > 0);
  while (remaining > 0 && open.length > 0) {
    const share = Math.floor(remaining / open.length);
    if (share === 0) {
      for (const c of open.slice(0, remaining)) quotas[c]++;
      break;
    }
    for (const c of open) {
      const give = Math.min(share, counts[c] - quotas[c]);
      quotas[c] += give;
      remaining -= give;
    }
    open = open.filter((c) => quotas[c] < counts[c]);
  }
  return quotas;
}

/** Indices (ascending, i.e. in file order) of a stratified selection from `dataset`. */
export function stratifiedIndices(dataset: Dataset, options: StratifiedOptions): Int32Array {
  const total = requestedSize(dataset, options);
  const { rng } = options;
  const classes = Array.from({ length: dataset.numClasses }, (_, c) => c);
  const quotas = allocate(classCounts(dataset), total, rng ? rng.shuffle(classes.slice()) : classes);
  const members: number[][] = classes.map(() => []);
  dataset.labels.forEach((label, i) => members[label].push(i));
  const chosen = members.flatMap((list, c) => (rng ? rng.shuffle(list) : list).slice(0, quotas[c]));
  return Int32Array.from(chosen).sort();
}

/**
 * A class-balanced subset of `dataset` (same count per class ±1), e.g. for low-data regimes:
 * `stratifiedSubset(train, { size: 500, rng })`. Examples keep their file order.
 */
export function stratifiedSubset(dataset: Dataset, options: StratifiedOptions): Dataset {
  return selectExamples(dataset, stratifiedIndices(dataset, options));
}

/** A dataset split in two. */
export interface TrainValidationSplit {
  readonly train: Dataset;
  readonly validation: Dataset;
}

/** Holds out a stratified validation set of the given size; the rest stays for training. */
export function validationSplit(dataset: Dataset, options: StratifiedOptions): TrainValidationSplit {
  const held = stratifiedIndices(dataset, options);
  const isHeld = new Uint8Array(exampleCount(dataset));
  for (const i of held) isHeld[i] = 1;
  const rest = new Int32Array(exampleCount(dataset) - held.length);
  let n = 0;
  isHeld.forEach((h, i) => {
    if (!h) rest[n++] = i;
  });
  return { train: selectExamples(dataset, rest), validation: selectExamples(dataset, held) };
}

/** A copy of `dataset` in a random order drawn from `rng`. */
export function shuffleDataset(dataset: Dataset, rng: Rng): Dataset {
  return selectExamples(dataset, rng.permutation(exampleCount(dataset)));
}
