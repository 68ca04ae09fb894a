/**
 * The datasets configs can name: every catalog entry and `image-folder` (one's own photos)
 * registered in core's `datasets` registry when this package is imported, with the schema of
 * its options. `openDataset` is how a config's dataset is loaded, the built-in ones and those
 * plugins register alike.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PerturbError, datasets, defineDataset, parseOptions, z } from '@perturb/core';
import type { DatasetName, DatasetSpec } from './catalog';
import { DATASET_NAMES, DATASETS } from './catalog';
import type { Dataset, Split } from './dataset';
import { holdsImages, imageFolderClasses, readImageFolder, subfolders } from './image-folder';
import { loadSpec } from './load';
import { padDataset } from './pad';
import { stratifiedSubset } from './subset';

/**
 * What a dataset definition's `load` returns: its two splits, each read from disk when asked for
 * (so a command that needs one split does not read the other). A plugin's dataset returns the
 * same, so every command can use it.
 */
export interface DatasetSplits {
  /** The training images: all of them, or the balanced subset of `trainSize`. */
  train(): Promise<Dataset>;
  /** The test images: all of them, or the balanced subset of `testSize`. */
  test(): Promise<Dataset>;
}

const subsetSize = (split: string) =>
  z
    .number()
    .int()
    .positive()
    .optional()
    .describe(
      `Use a balanced subset of this many ${split} images (the first of each class in file order). Default: all.`,
    );

/** Options of every built-in dataset. */
export const imageDatasetOptions = z.strictObject({
  dataRoot: z
    .string()
    .min(1)
    .optional()
    .describe(
      "The dataset's folder, or a CIFAR .tar.gz itself; only this place is searched. Default: $PERTURB_DATA, the download cache, system folders.",
    ),
  download: z
    .boolean()
    .optional()
    .describe('Download into the cache when not found. Default: true if PERTURB_DOWNLOAD=1.'),
  trainSize: subsetSize('training'),
  testSize: subsetSize('test'),
  padTo: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('Zero-pad the images to padTo×padTo, centred (28 → 32). Default: no padding.'),
});

/** Options of CIFAR-100: those of every dataset, and which labels to use. */
export const cifar100Options = imageDatasetOptions.extend({
  labelMode: z
    .enum(['fine', 'coarse'])
    .default('fine')
    .describe('fine: the 100 classes; coarse: the 20 superclasses.'),
});

/** The options `openDataset` passes a built-in dataset's `load`, checked and with defaults. */
export type ImageDatasetOptions = z.output<typeof imageDatasetOptions> &
  Partial<Pick<z.output<typeof cifar100Options>, 'labelMode'>>;

function summaryOf(spec: DatasetSpec): string {
  const { height, width, channels } = spec.shape;
  const { train, test } = spec.examples;
  const count = (n: number) => n.toLocaleString('en-US');
  return (
    `${spec.classNames.length} classes, ${count(train)} training / ${count(test)} test images of ` +
    `${height}×${width}×${channels}${spec.baseUrl ? '' : ', shipped in @perturb/datasets'}`
  );
}

/** The splits of `spec` as `options` ask for them. */
function splitsOf(spec: DatasetSpec, options: ImageDatasetOptions): DatasetSplits {
  const read = async (split: Split, size: number | undefined) => {
    const full = await loadSpec(spec, {
      split,
      path: options.dataRoot,
      download: options.download,
      padTo: options.padTo,
      labelMode: options.labelMode,
    });
    return size === undefined ? full : stratifiedSubset(full, { size });
  };
  return { train: () => read('train', options.trainSize), test: () => read('test', options.testSize) };
}

function define(name: DatasetName) {
  const spec = DATASETS[name];
  const schema = name === 'cifar100' ? cifar100Options : imageDatasetOptions;
  return defineDataset<DatasetSplits, typeof schema>({
    name,
    summary: summaryOf(spec),
    schema,
    load: async (options) => splitsOf(spec, options),
  });
}

/** The definitions of the built-in datasets, registered in core's `datasets` when this package loads. */
export const DATASET_DEFINITIONS = Object.fromEntries(
  DATASET_NAMES.map((name) => [name, define(name)]),
) as Record<DatasetName, ReturnType<typeof define>>;

/** Options of `image-folder`: photos in `dataRoot/<split>/<class>/<image>.png|jpg|jpeg`. */
export const imageFolderOptions = z.strictObject({
  dataRoot: z
    .string()
    .min(1)
    .describe('The folder holding the split folders, each with one folder of images per class (required)'),
  trainSplit: z
    .string()
    .min(1)
    .default('train')
    .describe('The subfolder of dataRoot to train on. Default: train.'),
  testSplit: z
    .string()
    .min(1)
    .default('test')
    .describe('The subfolder of dataRoot to test on. Default: test.'),
  testFraction: z
    .number()
    .gt(0)
    .lt(1)
    .optional()
    .describe(
      "Test on this fraction of each class of the training split instead of testSplit (held out by a shuffle seeded by the class's name, the same in every run) and train on the rest. Default: none, testSplit's folder.",
    ),
  size: z
    .int()
    .positive()
    .optional()
    .describe(
      "Resize the shorter side to size (antialiased bilinear), then centre-crop to size×size, as torchvision's Resize + CenterCrop. Default: none; every image must then have one height×width.",
    ),
  channels: z
    .union([z.literal(1), z.literal(3)])
    .default(3)
    .describe('1: gray (colour images by ITU-R 601 luma); 3: RGB (gray images repeated). Default: 3.'),
  trainSize: subsetSize('training'),
  testSize: subsetSize('test'),
  padTo: z
    .int()
    .positive()
    .optional()
    .describe(
      "Zero-pad to padTo×padTo, centred, when padTo is at least the images' height and width (28 → 32); larger images stay as they are. Default: no padding.",
    ),
});

/**
 * The folder of split `split` under `root`; refuses a missing root, or a missing split naming
 * the split folders there are and the setting (`key`) that chooses one.
 */
function splitFolder(root: string, split: string, key: 'trainSplit' | 'testSplit', other: string): string {
  if (!existsSync(root)) {
    throw new PerturbError(
      `dataRoot ${root} does not exist`,
      'set dataRoot to the folder holding your split folders: dataRoot/<split>/<class>/<image>.png',
    );
  }
  const folder = join(root, split);
  if (existsSync(folder)) return folder;
  const found = subfolders(root);
  const classFolders = found.filter((name) => holdsImages(join(root, name)));
  if (classFolders.length > 0 && classFolders.length === found.length) {
    throw new PerturbError(
      `${root} holds class folders (${found.join(', ')}), not split folders`,
      'set trainSplit: . and testFraction: 0.2 to test on a fifth of each class, or move them into train/ and test/ folders',
    );
  }
  const others = found.filter((name) => name !== other);
  const fix =
    others.length === 0
      ? `create ${folder} with one folder of images per class`
      : `set ${key}: ${others.length === 1 ? others[0] : `one of ${others.join(', ')}`}`;
  throw new PerturbError(
    `${root} has no split folder "${split}" (${found.length > 0 ? `found ${found.join(', ')}` : 'it has no subfolders'})`,
    fix,
  );
}

/**
 * The splits of an image folder: class ids from the training split's class folders (listed once,
 * without reading its images), so a test split reads with the same ids.
 */
function imageFolderSplits(options: z.output<typeof imageFolderOptions>): DatasetSplits {
  const { dataRoot, trainSplit, testSplit, testFraction, size, channels, padTo } = options;
  const trainFolder = () => splitFolder(dataRoot, trainSplit, 'trainSplit', testSplit);
  const part = (take: 'held-out' | 'rest') =>
    testFraction === undefined ? undefined : { fraction: testFraction, take };
  let classes: string[] | undefined;
  const read = async (folder: () => string, take: 'held-out' | 'rest', subsetSize: number | undefined) => {
    classes ??= imageFolderClasses(trainFolder());
    const data = readImageFolder(folder(), { classes, size, channels, subsetSize, holdOut: part(take) });
    const fits = padTo !== undefined && padTo >= data.shape.height && padTo >= data.shape.width;
    return fits ? padDataset(data, padTo) : data;
  };
  // With testFraction the test images are the training folder's held-out part.
  const testFolder = () =>
    testFraction === undefined ? splitFolder(dataRoot, testSplit, 'testSplit', trainSplit) : trainFolder();
  return {
    train: () => read(trainFolder, 'rest', options.trainSize),
    test: () => read(testFolder, 'held-out', options.testSize),
  };
}

/** `image-folder`, registered in core's `datasets` when this package loads. */
export const IMAGE_FOLDER_DEFINITION = defineDataset<DatasetSplits, typeof imageFolderOptions>({
  name: 'image-folder',
  summary:
    "your own photos, torchvision's ImageFolder layout: dataRoot/<split>/<class>/<image>.png|jpg, classes by sorted folder name",
  schema: imageFolderOptions,
  load: async (options) => imageFolderSplits(options),
});

const isSplits = (value: unknown): value is DatasetSplits =>
  typeof (value as DatasetSplits | null)?.train === 'function' &&
  typeof (value as DatasetSplits | null)?.test === 'function';

/**
 * Loads the dataset a config names: looks `name` up in core's `datasets` registry (the built-in
 * ones and any a plugin registered), checks `options` against its schema (one `PerturbError`
 * naming the setting otherwise) and returns its splits.
 *
 * @param where what the options belong to, for messages, e.g. `'train.yaml'`.
 */
export async function openDataset(
  name: string,
  options: unknown = {},
  where = `the options of dataset ${name}`,
): Promise<DatasetSplits> {
  const definition = datasets.get(name);
  const loaded = await definition.load(parseOptions(definition.schema, options, where));
  if (!isSplits(loaded)) {
    throw new PerturbError(
      `dataset "${name}" loaded no splits`,
      "its definition's load() must return { train(), test() }, each resolving to a Dataset of @perturb/datasets",
    );
  }
  return loaded;
}
