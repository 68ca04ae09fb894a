#!/usr/bin/env node
/** The `perturb` command. */
import { Command, InvalidArgumentError } from 'commander';
import { PerturbError } from '@perturb/core';
import { readConfigFile, resolveConfig } from './config';
import { runTrain } from './run-train';

const integer = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected a whole number');
  return n;
};
const number = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError('expected a number');
  return n;
};

const program = new Command('perturb').description('Semantic data augmentation for TensorFlow.js classifiers');

program
  .command('train')
  .description('train a classifier from a YAML config and/or flags; writes <out>/result.json')
  .option('-c, --config <file>', 'YAML config (flags override its settings)')
  .option('--dataset <name>', 'dataset name (fashion-mnist-small, fashion-mnist, mnist, cifar10, cifar100)')
  .option('--data-root <dir>', 'folder with the dataset files')
  .option('--train-size <n>', 'training images, balanced over classes', integer)
  .option('--test-size <n>', 'test images used for evaluation, balanced', integer)
  .option('--model <name>', 'classifier name, e.g. resnet20')
  .option('--augment <names>', 'comma-separated augmenters, e.g. randomCrop,horizontalFlip')
  .option('--lr <lr>', 'peak learning rate', number)
  .option('--batch-size <n>', 'batch size', integer)
  .option('--epochs <n>', 'epochs', integer)
  .option('--seed <n>', 'seed', integer)
  .option('--eval-every <n>', 'evaluate every n epochs (0: only at the end)', integer)
  .option('-o, --out <dir>', 'output folder')
  .action(async (flags) => {
    const fromFile = flags.config ? readConfigFile(flags.config) : {};
    const fromFlags = {
      dataset: flags.dataset,
      dataRoot: flags.dataRoot,
      trainSize: flags.trainSize,
      testSize: flags.testSize,
      model: flags.model,
      augmenters: flags.augment,
      lr: flags.lr,
      batchSize: flags.batchSize,
      epochs: flags.epochs,
      seed: flags.seed,
      evalEvery: flags.evalEvery,
      out: flags.out,
    };
    const config = resolveConfig([fromFile, fromFlags], flags.config ?? 'the flags');
    const result = await runTrain(config);
    process.stdout.write(`test accuracy ${(100 * result.testAccuracy).toFixed(2)}% → ${config.out}/result.json\n`);
  });

program.parseAsync().catch((error: unknown) => {
  if (error instanceof PerturbError) {
    process.stderr.write(`perturb: ${error.message}\n`);
    process.exit(2);
  }
  throw error;
});
