/**
 * The bad inputs of issues 15 and 20 that belong to the command line, run through the built `perturb`
 * bin as a user would: each must end with exit code 2 and one line naming the setting, the
 * value and the fix, without a stack trace (which `--debug` shows).
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRgbPng } from '@perturb/datasets';
import { describe, expect, it } from 'vitest';
import { CORE_CJS, CORE_DIST, runPerturb } from './testing/perturb-process';

const work = mkdtempSync(join(tmpdir(), 'perturb-bad-input-'));

/** A plugin registering `gaussianNoise` with a strict schema, and one that fails to load. */
writeFileSync(
  join(work, 'noise-plugin.mjs'),
  `import { defineAugmenter, z } from ${JSON.stringify(CORE_DIST)};
defineAugmenter({
  name: 'gaussianNoise',
  summary: 'adds Gaussian noise',
  schema: z.strictObject({ std: z.number().min(0).default(0.05) }),
  create: ({ std }) => ({ name: 'gaussianNoise', transform: (batch) => batch, std }),
});
`,
);
/**
 * A plugin registering a detection dataset (boxes, no label maps) and a stand-in detector (a
 * model whose task is detection): enough for the task-fit check, which refuses before training.
 */
writeFileSync(
  join(work, 'detection-plugin.mjs'),
  `import { defineDataset, defineModel, z } from ${JSON.stringify(CORE_DIST)};
const boxes = (count) => ({
  name: 'tiny-boxes',
  images: new Uint8Array(count * 32 * 32),
  labels: new Uint8Array(count),
  shape: { height: 32, width: 32, channels: 1 },
  numClasses: 2,
  classNames: ['a', 'b'],
  boxes: {
    classNames: ['a', 'b'],
    offsets: Int32Array.from({ length: count + 1 }, (_, i) => i),
    boxes: new Float32Array(count * 4).map((_, k) => (k % 4 < 2 ? 4 : 20)),
    classes: new Int32Array(count),
  },
});
defineDataset({
  name: 'tiny-boxes',
  summary: 'detection: blank images with one box each',
  schema: z.object({}),
  load: async () => ({ train: async () => boxes(20), test: async () => boxes(20) }),
});
defineModel({
  name: 'standin-detector',
  summary: 'a stand-in whose task is detection',
  schema: z.strictObject({}),
  create: () => ({ task: { kind: 'detection' }, dispose() {} }),
});
`,
);
writeFileSync(join(work, 'broken-plugin.mjs'), `throw new Error('boom: the plugin is broken');\n`);
/**
 * A CommonJS plugin whose augmenter refuses its data: its PerturbError comes from core's CJS
 * build, the command's `instanceof` from the ESM one.
 */
writeFileSync(
  join(work, 'refusing-plugin.cjs'),
  `const { defineAugmenter, z, PerturbError } = require(${JSON.stringify(CORE_CJS)});
defineAugmenter({
  name: 'refuser',
  summary: 'refuses every run',
  schema: z.strictObject({}),
  create: () => { throw new PerturbError('refuser cannot run here', 'use another augmenter'); },
});
`,
);
/** A file where a run's output folder should go. */
writeFileSync(join(work, 'a-file'), '');

/** A folder of photos with `train` and `val` splits but no `test` one. */
const photos = join(work, 'photos');
for (const split of ['train', 'val']) {
  mkdirSync(join(photos, split, 'cat'), { recursive: true });
  const data = new Uint8Array(8 * 8 * 3).fill(99);
  writeFileSync(
    join(photos, split, 'cat', 'a.png'),
    encodeRgbPng({ width: 8, height: 8, channels: 3, data }),
  );
}

const TINY = 'model: lenet5\ntrainSize: 20\ntestSize: 20\nbatchSize: 10\nsteps: 1\n';

/** [case, command, config file text, what the one line must contain] */
const CASES: Array<[string, string, string, RegExp]> = [
  [
    'an unknown optimizer',
    'train',
    'optimizer: { name: rmsprop }',
    /"optimizer.name" is "rmsprop" in .*\. use one of sgd, adam, adamax/,
  ],
  [
    'an optimizer name typo (shorthand)',
    'train',
    'optimizer: adamm',
    /"optimizer" is "adamm" .* did you mean "adam"\?/,
  ],
  [
    'momentum as text',
    'train',
    'optimizer: { name: sgd, momentum: high }',
    /"optimizer.momentum" is "high" .* use a number/,
  ],
  [
    'a nested typo',
    'train',
    'optimizer: { name: sgd, momentun: 0.5 }',
    /"optimizer.momentun" is not a setting .* did you mean "momentum"\?/,
  ],
  [
    'multistep without milestones',
    'train',
    'schedule: { name: multistep }',
    /"schedule.milestones" is missing in .*\. set it \(expected a list\)/,
  ],
  [
    'a schedule name typo (shorthand)',
    'train',
    'schedule: cosin',
    /"schedule" is "cosin" .* did you mean "cosine"\?/,
  ],
  ['a NaN learning rate', 'train', 'lr: .nan', /"lr" is NaN in /],
  ['an unknown model', 'train', 'model: resnet19', /unknown model "resnet19"\. did you mean "resnet18"\?/],
  [
    'an unknown augmenter',
    'train',
    'augmenters: [randomCropp]',
    /unknown augmenter "randomCropp" .* did you mean "randomCrop"\?/,
  ],
  [
    "a typo in an augmenter's options",
    'train',
    'plugins: [./noise-plugin.mjs]\naugmenters: [{ gaussianNoise: { sdt: 0.1 } }]',
    /"sdt" is not a setting of .* \(augmenter gaussianNoise\)\. did you mean "std"\?/,
  ],
  [
    "a typo in randomCrop's options",
    'train',
    'augmenters: [{ randomCrop: { paddin: 4 } }]',
    /"paddin" is not a setting of .* \(augmenter randomCrop\)\. did you mean "padding"\?/,
  ],
  [
    "a typo in afan's options",
    'train',
    'augmenters: [{ afan: { epsilom: 0.1 } }]',
    /"epsilom" is not a setting of .* \(augmenter afan\)\. did you mean "epsilon"\?/,
  ],
  [
    'a typo inside a combinator written in YAML',
    'train',
    'augmenters: [{ name: oneOf, options: { augmenters: [{ name: randomCrop, options: { paddin: 4 } }] } }]',
    /"paddin" is not a setting of randomCrop options .*\. did you mean "padding"\?/,
  ],
  ['a missing plugin', 'train', 'plugins: [./missing.mjs]', /plugin \.\/missing\.mjs in .* does not exist/],
  [
    'a plugin that throws',
    'train',
    'plugins: [./broken-plugin.mjs]',
    /plugin .*broken-plugin\.mjs failed to load: boom: the plugin is broken/,
  ],
  [
    'a plugin package not installed',
    'train',
    'plugins: [perturb-plugin-nowhere]',
    /plugin package perturb-plugin-nowhere .* is not found/,
  ],
  [
    'a classifier on a detection dataset',
    'train',
    `plugins: [./detection-plugin.mjs]\ndataset: tiny-boxes\n${TINY}`,
    /model lenet5 is a classification model, but dataset "tiny-boxes" is a detection dataset \(boxes\)\. use model fasterrcnn, or a classification dataset/,
  ],
  [
    'a detector on class labels',
    'train',
    `plugins: [./detection-plugin.mjs]\n${TINY.replace('lenet5', 'standin-detector')}`,
    /model standin-detector detects objects, but dataset "fashion-mnist-small" has only a class per image\. use a detection dataset \(fashion-mnist-scenes/,
  ],
  [
    'a segmenter on a detection dataset',
    'train',
    `plugins: [./detection-plugin.mjs]\ndataset: tiny-boxes\n${TINY.replace('lenet5', 'deeplabv3plus')}`,
    /model deeplabv3plus predicts a class per pixel, but dataset "tiny-boxes" has no label maps\. use a segmentation dataset/,
  ],
  [
    'an image folder without the default test split',
    'train',
    `dataset: image-folder\ndataRoot: ${photos}\nmodel: lenet5\nsteps: 1`,
    /photos has no split folder "test" \(found train, val\)\. set testSplit: val/,
  ],
  [
    "a typo in an image folder's options",
    'train',
    `dataset: image-folder\ndataRoot: ${photos}\ndatasetOptions: { chanels: 1 }`,
    /"chanels" is not a setting of the options of dataset image-folder\. did you mean "channels"\?/,
  ],
  [
    'seeds as a scalar',
    'compare',
    'methods: { a: {} }\nseeds: 3',
    /"seeds" is 3 in .*\. use a list, e\.g\. \[3\]/,
  ],
  [
    'trainSizes as a scalar',
    'compare',
    'methods: { a: {} }\ntrainSizes: 100',
    /"trainSizes" is 100 in .*\. use a list, e\.g\. \[100\]/,
  ],
  ['jobs as text', 'compare', 'methods: { a: {} }\njobs: two', /"jobs" is "two" in .*\. use a number/],
  [
    'a seed twice',
    'compare',
    'methods: { a: {} }\nseeds: [0, 0]',
    /"seeds" is \[0,0\] .* list each seed once/,
  ],
  [
    'a bad setting of one method',
    'compare',
    'methods: { a: { lr: -1 } }',
    /"lr" is -1 in .*\(method a\)\. use a value > 0/,
  ],
  [
    "train-flow's old steps key",
    'train-flow',
    'steps: 8',
    /"steps" is not a setting of .*\. valid settings: .*depth/,
  ],
  ['a VAE-GAN without a code', 'train-vaegan', 'latentSize: 0', /"latentSize" is 0 in .*\. use a value ≥ 1/],
];

/** Writes `text` as a config in the work folder, its output folder its own. */
function config(name: string, text: string): string {
  const slug = name.replace(/\W+/g, '-');
  const path = join(work, `${slug}.yaml`);
  writeFileSync(path, `${text}\nout: ${join(work, slug)}\n`);
  return path;
}

function expectOneLineError(result: { code: number | null; stderr: string }, expected: RegExp): void {
  expect(result.code).toBe(2);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^perturb: /);
  expect(lines[0]).toMatch(expected);
  expect(result.stderr).not.toMatch(/^\s+at /m);
}

// Each case is a process that mostly waits for its imports: four at a time keep the file short.
describe.concurrent('bad input ends in one line and exit code 2', () => {
  it.each(CASES)('%s', async (name, command, text, expected) => {
    const quiet = command === 'compare' ? [] : ['--quiet'];
    const result = await runPerturb([command, '--config', config(name, text), ...quiet], { cwd: work });
    expectOneLineError(result, expected);
  });

  it('refuses bad flags the same way', async () => {
    const [epochs, list, schema, option, command] = await Promise.all([
      runPerturb(['train', '--epochs', 'two']),
      runPerturb(['list', 'modles']),
      runPerturb(['schema', 'trian']),
      runPerturb(['train', '--modle', 'lenet5']),
      runPerturb(['trian']),
    ]);
    expectOneLineError(epochs, /argument 'two' is invalid/);
    expectOneLineError(option, /^perturb: unknown option '--modle'\. did you mean --model\?$/);
    expectOneLineError(command, /^perturb: unknown command 'trian'\. did you mean train\?$/);
    expectOneLineError(list, /did you mean "models"\?/);
    expectOneLineError(schema, /did you mean "train"\?/);
  });

  it('refuses bad queue settings the same way', async () => {
    const grid = config('queue-grid', 'methods: { a: {} }');
    const compare = (...flags: string[]) => runPerturb(['compare', '--config', grid, ...flags]);
    // Port 1 on the loopback interface: nothing listens there.
    const [url, unreachable, runIndex, status, worker, lock] = await Promise.all([
      compare('--queue', 'http://cache:6379'),
      compare('--queue', 'redis://127.0.0.1:1'),
      compare('--queue', 'redis://127.0.0.1:6379', '--run-index', '0'),
      compare('--status'),
      runPerturb(['worker', '--queue', 'cache:6379']),
      runPerturb(['worker', '--queue', 'redis://127.0.0.1:1', '--lock-duration', '0']),
    ]);
    expectOneLineError(url, /--queue "http:\/\/cache:6379" is not a Redis URL\. give redis:\/\/host:port/);
    expectOneLineError(
      unreachable,
      /cannot reach Redis at redis:\/\/127\.0\.0\.1:1 \(.*ECONNREFUSED.*\)\. start redis-server there/,
    );
    expectOneLineError(runIndex, /option '--queue <url>' cannot be used with option '--run-index <i>'/);
    expectOneLineError(status, /--status is set without --queue\. add --queue redis:\/\/host:port/);
    expectOneLineError(worker, /--queue "cache:6379" is not a Redis URL/);
    expectOneLineError(lock, /--lock-duration is 0\. give a whole number of 1 or more/);
  });

  it("refuses an output folder the file system refuses, and a CommonJS plugin's refusal", async () => {
    const [underFile, plugin] = await Promise.all([
      runPerturb([
        'train',
        '--config',
        config('under-a-file', TINY),
        '--out',
        join(work, 'a-file', 'run'),
        '-q',
      ]),
      runPerturb([
        'train',
        '--config',
        config('cjs-refusal', `${TINY}plugins: [./refusing-plugin.cjs]\naugmenters: [refuser]`),
        '-q',
      ]),
    ]);
    expectOneLineError(
      underFile,
      /cannot mkdir .*a-file\/run: a part of the path is a file, not a folder\. choose another path/,
    );
    expectOneLineError(plugin, /^perturb: refuser cannot run here\. use another augmenter$/);
  });

  // procfs refuses folders with ENOENT, on which Node's own recursive mkdir never returns.
  it.runIf(existsSync('/proc/self'))('refuses an output folder in /proc instead of hanging', async () => {
    const inProc = await runPerturb([
      'train',
      '--config',
      config('in-proc', TINY),
      '--out',
      '/proc/perturb-runs/run',
      '-q',
    ]);
    expectOneLineError(
      inProc,
      /^perturb: cannot mkdir \/proc\/perturb-runs: this file system allows no folders there\. choose a path you may write/,
    );
  });

  it('shows the stack with --debug', async () => {
    const result = await runPerturb(['train', '--config', config('debug', 'lr: .nan'), '--debug']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/"lr" is NaN/);
    expect(result.stderr).toMatch(/^\s+at /m);
  });

  it('gives command-line advice for a folder holding another model', async () => {
    const out = join(work, 'another-model');
    const first = await runPerturb(['train', '--config', config('first', TINY), '--out', out, '-q']);
    expect(first.code, first.stderr).toBe(0);
    const second = await runPerturb([
      'train',
      '--config',
      config('second', TINY.replace('lenet5', 'resnet20')),
      '--out',
      out,
      '-q',
    ]);
    expectOneLineError(second, /was written by a run with other settings\. .*use another output folder/);
  });
});
