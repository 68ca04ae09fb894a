/** The low-data splits: a balanced training subset and a balanced test set, padded to 32×32. */
import { PerturbError, Rng } from '@perturb/core';
import { type Dataset, stratifiedSubset } from '@perturb/datasets';
import { loadDataset, resolveDataset } from '@perturb/datasets/node';
import type { DatasetChoice, LowDataOptions } from './options';

/** LA-Glow's code draws its low-data subsets with this seed, whatever the run's seed. */
const SPLIT_SEED = 9999;
/** 28×28 images zero-padded to the CIFAR size the ResNets and a 2^L-level Glow expect. */
const PAD_TO = 32;

export interface LowDataSplits {
  /** The dataset actually read: `'fashion-mnist'` or `'fashion-mnist-small'`. */
  dataset: string;
  trainSet: Dataset;
  testSet: Dataset;
}

/** Loads the splits `options` ask for (never downloading). */
export async function loadLowDataSplits(
  options: Pick<LowDataOptions, 'dataset' | 'trainSize' | 'testSize'>,
): Promise<LowDataSplits> {
  const dataset = await chooseDataset(options.dataset);
  const common = { padTo: PAD_TO, download: false, progress: false };
  const fullTrain = await loadDataset(dataset, { ...common, split: 'train' });
  const fullTest = await loadDataset(dataset, { ...common, split: 'test' });
  return {
    dataset,
    trainSet: stratifiedSubset(fullTrain, { size: options.trainSize, rng: new Rng(SPLIT_SEED) }),
    testSet: stratifiedSubset(fullTest, { size: Math.min(options.testSize, fullTest.labels.length) }),
  };
}

async function chooseDataset(choice: DatasetChoice): Promise<string> {
  if (choice !== 'auto') return choice;
  try {
    await resolveDataset('fashion-mnist', { download: false, progress: false });
    return 'fashion-mnist';
  } catch (error) {
    if (error instanceof PerturbError) return 'fashion-mnist-small';
    throw error;
  }
}
