#!/usr/bin/env node
/** The `perturb` command. */
import { realpathSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { PerturbError } from '@perturb/core';
import type { ClassificationMetrics } from '@perturb/eval';
import { readCompareConfig, runCompare } from './compare';
import { readConfigFile, resolveConfig } from './config';
import { runDemo } from './demo';
import { resolveFlowConfig } from './flow-config';
import { writeCompareReport } from './report';
import { runEval } from './run-eval';
import { runTrain } from './run-train';
import { runTrainFlow } from './run-train-flow';
import { runTrainVaeGan } from './run-train-vaegan';
import { resolveVaeGanTrainingConfig } from './vaegan-config';

const integer = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected a whole number');
  return n;
};
const list = (value: string) => value.split(',').map((item) => item.trim());
const integerList = (value: string) => list(value).map(integer);
const number = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError('expected a number');
  return n;
};
/**
 * This script, for child processes of `compare`: the entry script node runs (through the npm
 * bin link, hence realpath), which works in the ESM and the CJS build alike.
 */
const self = realpathSync(process.argv[1]);

const program = new Command('perturb').description(
  'Semantic data augmentation for TensorFlow.js classifiers',
);

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
  .option('--epochs <n>', "epochs (replaces the file's steps)", integer)
  .addOption(
    new Option('--steps <n>', "total optimizer steps instead of epochs (replaces the file's epochs)")
      .argParser(integer)
      .conflicts('epochs'),
  )
  .option('--seed <n>', 'seed', integer)
  .option('--eval-every <n>', 'evaluate every n epochs (0: only at the end)', integer)
  .option('-o, --out <dir>', 'output folder')
  .option('-q, --quiet', 'no progress bar')
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
      steps: flags.steps,
      seed: flags.seed,
      evalEvery: flags.evalEvery,
      out: flags.out,
    };
    const config = resolveConfig([fromFile, fromFlags], flags.config ?? 'the flags');
    const result = await runTrain(config, { progress: !flags.quiet });
    process.stdout.write(
      `test accuracy ${(100 * result.testAccuracy).toFixed(2)}% → ${config.out}/result.json\n`,
    );
  });

program
  .command('train-flow')
  .description(
    'train a Glow by maximum likelihood; writes <out>/checkpoint.safetensors, sample grids and result.json',
  )
  .option('-c, --config <file>', 'YAML config (flags override its settings)')
  .option('--dataset <name>', 'dataset name')
  .option('--train-size <n>', 'training images, balanced over classes', integer)
  .option('--levels <n>', 'levels L', integer)
  .option('--steps <n>', 'flow steps K per level', integer)
  .option('--hidden <n>', 'coupling width', integer)
  .option('--epochs <n>', 'epochs', integer)
  .option('--seed <n>', 'seed', integer)
  .option('-o, --out <dir>', 'output folder')
  .option('-q, --quiet', 'no progress bar')
  .action(async (flags) => {
    const fromFile = flags.config ? readConfigFile(flags.config) : {};
    const { dataset, trainSize, levels, steps, hidden, epochs, seed, out } = flags;
    const config = resolveFlowConfig(
      [fromFile, { dataset, trainSize, levels, steps, hidden, epochs, seed, out }],
      flags.config ?? 'the flags',
    );
    const result = await runTrainFlow(config, { progress: !flags.quiet });
    process.stdout.write(`test bits/dim ${result.testBitsPerDim?.toFixed(4)} → ${config.out}/result.json\n`);
  });

program
  .command('train-vaegan')
  .description(
    'train one VAE-GAN per class (for onManifoldAdversarial); writes <out>/class-<k>.safetensors and result.json',
  )
  .option('-c, --config <file>', 'YAML config (flags override its settings)')
  .option('--dataset <name>', 'dataset name')
  .option('--train-size <n>', 'training images, balanced over classes', integer)
  .option('--latent-size <n>', 'size of each code', integer)
  .option('--epochs <n>', 'epochs of every model', integer)
  .option('--class-agnostic', 'also train a model on all classes')
  .option('--seed <n>', 'seed', integer)
  .option('-o, --out <dir>', 'output folder')
  .option('-q, --quiet', 'no progress bar')
  .action(async (flags) => {
    const fromFile = flags.config ? readConfigFile(flags.config) : {};
    const { dataset, trainSize, latentSize, epochs, classAgnostic, seed, out } = flags;
    const config = resolveVaeGanTrainingConfig(
      [fromFile, { dataset, trainSize, latentSize, epochs, classAgnostic, seed, out }],
      flags.config ?? 'the flags',
    );
    const result = await runTrainVaeGan(config, { progress: !flags.quiet });
    process.stdout.write(`${result.classes} class-specific VAE-GANs → ${config.out}\n`);
  });

program
  .command('compare')
  .description('run a grid of methods × training-set sizes × seeds (resumable) and write the report')
  .requiredOption('-c, --config <file>', 'compare config (YAML)')
  .option('-o, --out <dir>', 'output folder (overrides the config)')
  .option('-j, --jobs <n>', 'runs at once (default: one per core)', integer)
  .option('-m, --methods <names>', "run only these methods' runs now (comma-separated); the rest later", list)
  .option(
    '-s, --seeds <seeds>',
    "run only these seeds' runs now (comma-separated), e.g. one per process",
    integerList,
  )
  .action(async (flags) => {
    const config = readCompareConfig(flags.config, { out: flags.out, jobs: flags.jobs });
    await runCompare(config, {
      bin: self,
      methods: flags.methods,
      seeds: flags.seeds,
      onDone: () => void writeCompareReport(config.out),
    });
  });

program
  .command('eval')
  .description(
    "score a trained run's classifier on the test set, optionally under an augmenter; writes <run>/eval.json",
  )
  .argument('<run>', 'the folder perturb train wrote')
  .option(
    '-a, --attack <augmenter>',
    'also score the test images transformed by this augmenter, as a config names it, e.g. pixelPgd or "{ pixelPgd: { epsilon: 0.1 } }"; an attack with labels/bnMode settings defaults to labels: true, bnMode: eval',
  )
  .option('--test-size <n>', "test images, balanced (default: the run's)", integer)
  .option('--batch-size <n>', "test images per batch (default: the run's with --attack, else 500)", integer)
  .option('--seed <n>', "seed of the attack's random stream", integer)
  .option('-o, --out <file>', 'JSON output (default <run>/eval.json, or <run>/eval-<augmenter>.json)')
  .action(async (run: string, flags) => {
    const result = await runEval({
      run,
      attack: flags.attack,
      testSize: flags.testSize,
      batchSize: flags.batchSize,
      seed: flags.seed,
      out: flags.out,
    });
    const scores = (label: string, m: ClassificationMetrics) =>
      `${label}: accuracy ${(100 * m.accuracy).toFixed(2)}%, top-${m.topK.k} ${(100 * m.topK.accuracy).toFixed(2)}%, ECE ${m.ece.toFixed(4)} (${m.count} images)\n`;
    const { evaluation } = result;
    process.stdout.write(scores('clean', evaluation));
    if (evaluation.attack) {
      const { attack } = evaluation;
      process.stdout.write(
        scores(attack.name, attack) +
          `  moved the images by L∞ ${attack.linf.mean.toFixed(4)} (max ${attack.linf.max.toFixed(4)}), L2 ${attack.l2.mean.toFixed(4)} (max ${attack.l2.max.toFixed(4)}) on average\n`,
      );
    }
    process.stdout.write(`→ ${result.out}\n`);
  });

program
  .command('report')
  .description('write report.md and report.html for a compare folder')
  .argument('<dir>', 'the folder `perturb compare` wrote')
  .action((dir: string) => {
    const paths = writeCompareReport(dir);
    process.stdout.write(`report: ${paths.html}\n`);
  });

program
  .command('demo')
  .description(
    'the quick comparison on the embedded Fashion-MNIST subset (no download, about 10 minutes on 2 cores)',
  )
  .option('-o, --out <dir>', 'output folder', 'runs/demo')
  .option('-j, --jobs <n>', 'runs at once (default: one per core)', integer)
  .action(async (flags) => {
    await runDemo({ out: flags.out, jobs: flags.jobs, bin: self });
  });

program.parseAsync().catch((error: unknown) => {
  if (error instanceof PerturbError) {
    process.stderr.write(`perturb: ${error.message}\n`);
    process.exit(2);
  }
  throw error;
});
