#!/usr/bin/env node
/** The `perturb` command. */
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { CommanderError } from 'commander';
import { Command, InvalidArgumentError, Option } from 'commander';
import { PerturbError } from '@perturb/core';
import { gridRuns, hasSharedModels, planGrid, readCompareConfig, recordGrid, runCompare } from './compare';
import { codeOf } from './code-provenance';
import { DEFAULT_CONFIG, resolveConfig } from './config';
import { fileSystemRefusal } from './file-errors';
import { runDemo } from './demo';
import { parseDevices } from './devices';
import { DEFAULT_FLOW_CONFIG, resolveFlowConfig } from './flow-config';
import { CONFIG_SCHEMAS, configJsonSchema } from './json-schema';
import { LIST_KINDS, listRegistered } from './list';
import { readConfigWithPlugins } from './plugins';
import { gridListing } from './grid-listing';
import { writeCompareReport } from './report';
import { evalSummary, runEval } from './run-eval';
import { predictSummary, runPredict } from './run-predict';
import { runTrain } from './run-train';
import { runTrainFlow } from './run-train-flow';
import { runTrainVaeGan, runVaeGanWorker } from './run-train-vaegan';
import { DEFAULT_ATTEMPTS, enqueueRuns, parseQueueUrl, queueExecutor, queueStatus, withQueue } from './queue';
import { slurmScript } from './slurm';
import { DEFAULT_VAEGAN_CONFIG, resolveVaeGanTrainingConfig } from './vaegan-config';
import { DEFAULT_LOCK_DURATION_MS, DEFAULT_STALLED_INTERVAL_MS, startWorker } from './worker';

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
const { version } = JSON.parse(readFileSync(join(dirname(self), '../package.json'), 'utf8')) as {
  version: string;
};
/** Repeatable flags (`--plugin a --plugin b`) collect into a list. */
const collect = (value: string, previous: string[] = []) => [...previous, value];
const PLUGIN_FLAG = [
  '--plugin <module>',
  'load a plugin module first (repeatable; path or package)',
  collect,
] as const;
/**
 * Commander's usage error as one line, like every other refusal: its suggestion comes on a line
 * of its own ("unknown option '--modle'\n(Did you mean --model?)").
 */
const oneLine = (text: string) =>
  `${text
    .replace(/^error: /, '')
    .replace(/\s*\n\(Did you mean (.*)\?\)/, '. did you mean $1?')
    .trimEnd()}\n`;
/** `(default …)` for a flag's help: the schema's default, which the config file may override. */
const byDefault = (value: unknown) => `(default ${Array.isArray(value) ? value.join(',') : String(value)})`;

const program = new Command('perturb')
  .description('Semantic data augmentation for TensorFlow.js classifiers')
  .version(version, '-V, --version')
  .option('--debug', 'print the stack of an error')
  // Usage errors, like bad settings, exit with 2; help and --version with 0.
  .exitOverride((error: CommanderError) => process.exit(error.exitCode === 0 ? 0 : 2))
  .configureOutput({ outputError: (text, write) => write(`perturb: ${oneLine(text)}`) });

program
  .command('train')
  .description('train a classifier from a YAML config and/or flags; writes <out>/result.json')
  .option('-c, --config <file>', 'YAML config (flags override its settings)')
  .option(...PLUGIN_FLAG)
  .option('--dataset <name>', `dataset name, see perturb list datasets ${byDefault(DEFAULT_CONFIG.dataset)}`)
  .option('--data-root <dir>', "folder with the dataset files (default: the dataset's search order)")
  .option('--train-size <n>', 'training images, balanced over classes (default: all)', integer)
  .option('--test-size <n>', 'test images used for evaluation, balanced (default: all)', integer)
  .option('--model <name>', `classifier, see perturb list models ${byDefault(DEFAULT_CONFIG.model)}`)
  .option(
    '--augment <names>',
    'comma-separated augmenters, e.g. randomCrop,horizontalFlip (default: none)',
    list,
  )
  .option('--lr <lr>', `peak learning rate ${byDefault(DEFAULT_CONFIG.lr)}`, number)
  .option('--batch-size <n>', `batch size ${byDefault(DEFAULT_CONFIG.batchSize)}`, integer)
  .option('--epochs <n>', `epochs, replaces the file's steps ${byDefault(DEFAULT_CONFIG.epochs)}`, integer)
  .addOption(
    new Option('--steps <n>', "total optimizer steps instead of epochs (replaces the file's epochs)")
      .argParser(integer)
      .conflicts('epochs'),
  )
  .option('--seed <n>', `seed ${byDefault(DEFAULT_CONFIG.seed)}`, integer)
  .option(
    '--eval-every <n>',
    `evaluate every n epochs, 0: only at the end ${byDefault(DEFAULT_CONFIG.evalEvery)}`,
    integer,
  )
  .option('-o, --out <dir>', `output folder ${byDefault(DEFAULT_CONFIG.out)}`)
  .option('-q, --quiet', 'no progress bar')
  .action(async (flags) => {
    const fromFile = await readConfigWithPlugins(flags.config, flags.plugin);
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
    // A setting the flags gave may be the faulty one, so errors name both sources when both exist.
    const flagsGiven = Object.values(fromFlags).some((value) => value !== undefined);
    const source =
      flags.config === undefined ? 'the flags' : flagsGiven ? `${flags.config} with the flags` : flags.config;
    const config = resolveConfig([fromFile, fromFlags], source);
    const result = await runTrain(config, { progress: !flags.quiet, code: codeOf(self) });
    const percent = (value: number) => `${(100 * value).toFixed(2)}%`;
    const score =
      result.testMAP !== undefined
        ? `test mAP ${percent(result.testMAP)}, AP50 ${percent(result.testAP50 ?? NaN)}`
        : result.testMeanIoU !== undefined
          ? `test mIoU ${percent(result.testMeanIoU)}, pixel accuracy ${percent(result.testAccuracy)}`
          : `test accuracy ${percent(result.testAccuracy)}`;
    process.stdout.write(`${score} → ${config.out}/result.json\n`);
  });

program
  .command('train-flow')
  .description(
    'train a Glow by maximum likelihood; writes <out>/checkpoint.safetensors, sample grids and result.json',
  )
  .option('-c, --config <file>', 'YAML config (flags override its settings)')
  .option(...PLUGIN_FLAG)
  .option('--dataset <name>', `dataset name ${byDefault(DEFAULT_FLOW_CONFIG.dataset)}`)
  .option('--train-size <n>', 'training images, balanced over classes (default: all)', integer)
  .option('--levels <n>', `levels L ${byDefault(DEFAULT_FLOW_CONFIG.levels)}`, integer)
  .option('--depth <n>', `flow steps K per level ${byDefault(DEFAULT_FLOW_CONFIG.depth)}`, integer)
  .option('--hidden <n>', `coupling width ${byDefault(DEFAULT_FLOW_CONFIG.hidden)}`, integer)
  .option('--epochs <n>', `epochs ${byDefault(DEFAULT_FLOW_CONFIG.epochs)}`, integer)
  .option('--seed <n>', `seed ${byDefault(DEFAULT_FLOW_CONFIG.seed)}`, integer)
  .option('-o, --out <dir>', `output folder ${byDefault(DEFAULT_FLOW_CONFIG.out)}`)
  .option('-q, --quiet', 'no progress bar')
  .action(async (flags) => {
    const fromFile = await readConfigWithPlugins(flags.config, flags.plugin);
    const { dataset, trainSize, levels, depth, hidden, epochs, seed, out } = flags;
    const config = resolveFlowConfig(
      [fromFile, { dataset, trainSize, levels, depth, hidden, epochs, seed, out }],
      flags.config ?? 'the flags',
    );
    const result = await runTrainFlow(config, { progress: !flags.quiet });
    process.stdout.write(`test bits/dim ${result.testBitsPerDim?.toFixed(4)} → ${config.out}/result.json\n`);
  });

program
  .command('train-vaegan')
  .description(
    'train one VAE-GAN per class (for onManifoldAdversarial); writes <out>/class-<k>.safetensors, image grids in <out>/images and result.json',
  )
  .option('-c, --config <file>', 'YAML config (flags override its settings)')
  .option(...PLUGIN_FLAG)
  .option('--dataset <name>', `dataset name ${byDefault(DEFAULT_VAEGAN_CONFIG.dataset)}`)
  .option('--train-size <n>', 'training images, balanced over classes (default: all)', integer)
  .option('--latent-size <n>', `size of each code ${byDefault(DEFAULT_VAEGAN_CONFIG.latentSize)}`, integer)
  .option('--epochs <n>', `epochs of every model ${byDefault(DEFAULT_VAEGAN_CONFIG.epochs)}`, integer)
  .option('--class-agnostic', 'also train a model on all classes (default: not)')
  .option('--seed <n>', `seed ${byDefault(DEFAULT_VAEGAN_CONFIG.seed)}`, integer)
  .option('-o, --out <dir>', `output folder ${byDefault(DEFAULT_VAEGAN_CONFIG.out)}`)
  .option(
    '-j, --jobs <n>',
    'class models trained at once, each in its own process (default 1: one after another in this one)',
    integer,
  )
  .option('-q, --quiet', 'no progress bar')
  // How train-vaegan --jobs starts its children; not for people.
  .addOption(new Option('--worker <task>').hideHelp())
  .action(async (flags) => {
    if (flags.worker) return runVaeGanWorker(flags.worker);
    const fromFile = await readConfigWithPlugins(flags.config, flags.plugin);
    const { dataset, trainSize, latentSize, epochs, classAgnostic, seed, out } = flags;
    const config = resolveVaeGanTrainingConfig(
      [fromFile, { dataset, trainSize, latentSize, epochs, classAgnostic, seed, out }],
      flags.config ?? 'the flags',
    );
    const result = await runTrainVaeGan(config, {
      progress: !flags.quiet,
      processes: { count: flags.jobs ?? 1, bin: self },
    });
    process.stdout.write(`${result.classes} class-specific VAE-GANs → ${config.out}\n`);
  });

program
  .command('compare')
  .description('run a grid of methods × training-set sizes × seeds (resumable) and write the report')
  .requiredOption('-c, --config <file>', 'compare config (YAML)')
  .option(...PLUGIN_FLAG)
  .option('-o, --out <dir>', "output folder (default: the config's out, else runs/compare)")
  .option('-j, --jobs <n>', "runs at once (default: the config's jobs, else one per core)", integer)
  .option(
    '-m, --methods <names>',
    "run only these methods' runs now (comma-separated); the rest later (default: all)",
    list,
  )
  .option(
    '-s, --seeds <seeds>',
    "run only these seeds' runs now (comma-separated), e.g. one per process (default: all)",
    integerList,
  )
  .option(
    '--sizes <sizes>',
    "run only these training-set sizes' runs now (comma-separated), e.g. one column per sitting (default: all)",
    integerList,
  )
  .addOption(
    new Option('--run-index <i>', 'run only run i of the grid (0-based), e.g. as a Slurm array task')
      .argParser(integer)
      .conflicts(['methods', 'seeds', 'sizes']),
  )
  .option(
    '--devices <list>',
    'GPUs, e.g. 0,1: each child sees one as CUDA_VISIBLE_DEVICES; runs at once default to their number',
  )
  .addOption(
    new Option('--emit <executor>', 'print the grid as a job script instead of running it')
      .choices(['slurm'])
      .conflicts(['runIndex', 'methods', 'seeds', 'sizes', 'devices']),
  )
  .option('--cpus-per-task <n>', 'with --emit slurm: CPUs (wasm threads) of each task (default 4)', integer)
  .addOption(
    new Option(
      '--dry-run',
      "check the config and every run's settings, list the runs (finished, resuming, to run) and exit without training",
    ).conflicts(['emit', 'runIndex', 'methods', 'seeds', 'sizes', 'devices', 'queue']),
  )
  .addOption(
    new Option(
      '--queue <url>',
      'put the runs on the Redis queue at url (redis://host:port) for perturb workers, wait, write the report',
    ).conflicts(['runIndex', 'emit', 'devices', 'jobs']),
  )
  .option('--detach', 'with --queue: return once the runs are queued (no report; see --status)')
  .addOption(
    new Option(
      '--status',
      "with --queue: print each run's state (waiting, active, finished, failed)",
    ).conflicts('detach'),
  )
  .option(
    '--attempts <n>',
    `with --queue: attempts per run before it fails for good (default ${DEFAULT_ATTEMPTS})`,
    integer,
  )
  .action(async (flags) => {
    if (flags.cpusPerTask !== undefined && !flags.emit) {
      throw new PerturbError('--cpus-per-task is set without --emit slurm', 'drop it, or add --emit slurm');
    }
    for (const flag of ['detach', 'status', 'attempts'] as const) {
      if (flags[flag] !== undefined && !flags.queue) {
        throw new PerturbError(
          `--${flag} is set without --queue`,
          'add --queue redis://host:port, or drop it',
        );
      }
    }
    if (flags.attempts !== undefined && flags.attempts < 1) {
      throw new PerturbError(`--attempts is ${flags.attempts}`, 'give 1 or more (1: no retry)');
    }
    const queue = flags.queue === undefined ? undefined : parseQueueUrl(flags.queue);
    const settings = await readConfigWithPlugins(flags.config, flags.plugin);
    const devices = flags.devices === undefined ? undefined : parseDevices(flags.devices);
    const jobs = flags.jobs ?? devices?.length;
    const config = readCompareConfig(flags.config, { out: flags.out, jobs }, settings);
    if (flags.dryRun) {
      process.stdout.write(gridListing(config));
      return;
    }
    if (flags.emit) {
      recordGrid(config);
      // Tasks start elsewhere: plugin files by absolute path (packages by name, as given).
      const plugins = ((flags.plugin as string[] | undefined) ?? []).flatMap((plugin) => [
        '--plugin',
        plugin.startsWith('.') ? resolve(plugin) : plugin,
      ]);
      const script = slurmScript({
        config: resolve(flags.config),
        out: resolve(config.out),
        runs: gridRuns(config).length,
        sharedModels: hasSharedModels(config),
        cpusPerTask: flags.cpusPerTask ?? 4,
        perturb: [process.execPath, self],
        extraFlags: [...plugins, ...(flags.out ? ['--out', resolve(flags.out)] : [])],
      });
      process.stdout.write(script);
      return;
    }
    if (queue && flags.status) {
      process.stdout.write(await withQueue(queue, (q) => queueStatus(q, gridRuns(config))));
      return;
    }
    if (queue && flags.detach) {
      const plan = planGrid(config, { methods: flags.methods, seeds: flags.seeds, sizes: flags.sizes });
      const queued = await withQueue(queue, (q) => enqueueRuns(q, plan, { attempts: flags.attempts }));
      process.stdout.write(
        `${queued} run(s) queued on ${queue} (${plan.runs.length - plan.pending.length} finished before); start \`perturb worker --queue ${queue}\` where they should train, follow them with --status\n`,
      );
      return;
    }
    await runCompare(config, {
      bin: self,
      methods: flags.methods,
      seeds: flags.seeds,
      sizes: flags.sizes,
      runIndex: flags.runIndex,
      devices,
      executor: queue ? queueExecutor(queue, { attempts: flags.attempts }) : undefined,
      // A task of an array leaves the report to the job that depends on them all. The report
      // names the runs whose attempts were spent (only a queue's failures are final).
      onDone:
        flags.runIndex === undefined
          ? (_runs, failures) => void writeCompareReport(config.out, { bin: self, failed: failures })
          : undefined,
    });
  });

program
  .command('worker')
  .description('train the runs that perturb compare --queue puts on a Redis queue, until stopped')
  .requiredOption('--queue <url>', 'the Redis queue, redis://host:port')
  .option(
    '--concurrency <n>',
    'runs at once (default: one per device with --devices, else one per core)',
    integer,
  )
  .option('--devices <list>', 'GPUs, e.g. 0,1: each child sees one as CUDA_VISIBLE_DEVICES')
  .option(
    '--lock-duration <ms>',
    `a run is handed to another worker once this worker has not renewed it for this long (default ${DEFAULT_LOCK_DURATION_MS})`,
    integer,
  )
  .option(
    '--stalled-interval <ms>',
    `how often to look for runs whose worker is gone (default ${DEFAULT_STALLED_INTERVAL_MS})`,
    integer,
  )
  .action(async (flags) => {
    for (const flag of ['concurrency', 'lockDuration', 'stalledInterval'] as const) {
      if (flags[flag] !== undefined && flags[flag] < 1) {
        const name = flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
        throw new PerturbError(`--${name} is ${flags[flag]}`, 'give a whole number of 1 or more');
      }
    }
    await startWorker({
      queue: parseQueueUrl(flags.queue),
      bin: self,
      concurrency: flags.concurrency,
      devices: flags.devices === undefined ? undefined : parseDevices(flags.devices),
      lockDurationMs: flags.lockDuration,
      stalledIntervalMs: flags.stalledInterval,
    });
  });

program
  .command('eval')
  .description(
    "score a trained run's model on the test set (a classifier's accuracy, a segmenter's mean IoU, a detector's mAP), optionally under an augmenter; writes <run>/eval.json",
  )
  .argument('<run>', 'the folder perturb train wrote')
  .option(
    '-a, --attack <augmenter>',
    'also score the test images transformed by this augmenter, as a config names it, e.g. pixelPgd or "{ pixelPgd: { epsilon: 0.1 } }"; an attack with labels/bnMode settings defaults to labels: true, bnMode: eval',
  )
  .option(...PLUGIN_FLAG)
  .option('--test-size <n>', "test images, balanced (default: the run's)", integer)
  .option(
    '--batch-size <n>',
    "test images per batch (default: the run's with --attack, else 500, 50 for a detector)",
    integer,
  )
  .option('--seed <n>', "seed of the attack's random stream (default 0)", integer)
  .option('-o, --out <file>', 'JSON output (default <run>/eval.json, or <run>/eval-<augmenter>.json)')
  .action(async (run: string, flags) => {
    const result = await runEval({
      run,
      attack: flags.attack,
      testSize: flags.testSize,
      batchSize: flags.batchSize,
      seed: flags.seed,
      out: flags.out,
      plugins: flags.plugin,
    });
    process.stdout.write(evalSummary(result));
  });

program
  .command('predict')
  .description(
    "predict one's own photos with a trained run's model: a classifier's classes, a segmenter's label maps, a detector's boxes, each in the photo's own pixels",
  )
  .argument('<run>', 'the folder perturb train wrote')
  .argument('<inputs...>', 'PNG or JPEG files, and folders of them (their .png/.jpg/.jpeg files, by name)')
  .option(
    '-o, --out <dir>',
    'output folder: predictions.json, and a label map (segmenter) or the photo with its boxes (detector) per photo as PNG (default <run>/predictions)',
  )
  .option(
    '--batch-size <n>',
    'photos per batch (default 64 for a classifier, 8 for a segmenter, 4 for a detector)',
    integer,
  )
  .option('--top-k <k>', "a classifier's most probable classes listed per photo (default 5)", integer)
  .option(
    '--score-threshold <s>',
    "a detector's detections kept: those scoring above s (default 0.5)",
    number,
  )
  .option(...PLUGIN_FLAG)
  .action(async (run: string, inputs: string[], flags) => {
    const result = await runPredict({
      run,
      inputs,
      out: flags.out,
      batchSize: flags.batchSize,
      topK: flags.topK,
      scoreThreshold: flags.scoreThreshold,
      plugins: flags.plugin,
    });
    process.stdout.write(predictSummary(result));
  });

program
  .command('report')
  .description('write report.md and report.html for a compare folder')
  .argument('<dir>', 'the folder `perturb compare` wrote')
  .action((dir: string) => {
    const paths = writeCompareReport(dir, { bin: self });
    process.stdout.write(`report: ${paths.html}\n`);
  });

program
  .command('demo')
  .description(
    'the quick comparison on the embedded Fashion-MNIST subset (no download, about 10 minutes on 2 cores)',
  )
  .option('-o, --out <dir>', 'output folder', 'runs/demo')
  .option('-j, --jobs <n>', 'runs at once (default 2)', integer)
  .action(async (flags) => {
    await runDemo({ out: flags.out, jobs: flags.jobs, bin: self });
  });

program
  .command('list')
  .description(
    'list what configs can name: augmenters with their options and defaults, models with their feature sites, datasets',
  )
  .argument('[kind]', LIST_KINDS.join(' | ') + ' (default: all)')
  .option(...PLUGIN_FLAG)
  .action(async (kind: string | undefined, flags) => {
    await readConfigWithPlugins(undefined, flags.plugin);
    process.stdout.write(await listRegistered(kind));
  });

program
  .command('schema')
  .description(
    "print the JSON Schema of a command's YAML config, for editors (with the augmenters registered now, plugins included)",
  )
  .argument('[command]', `${Object.keys(CONFIG_SCHEMAS).join(' | ')}`, 'train')
  .option(...PLUGIN_FLAG)
  .action(async (command: string, flags) => {
    await readConfigWithPlugins(undefined, flags.plugin);
    process.stdout.write(`${JSON.stringify(configJsonSchema(command), null, 2)}\n`);
  });

program.parseAsync().catch((thrown: unknown) => {
  const debug = process.argv.includes('--debug');
  const error = fileSystemRefusal(thrown) ?? thrown;
  if (error instanceof PerturbError) {
    // Bad input: one line, what is wrong and how to fix it; the stack only when asked for.
    process.stderr.write(`perturb: ${debug ? ((thrown as Error).stack ?? error.message) : error.message}\n`);
    process.exit(2);
  }
  throw error;
});
