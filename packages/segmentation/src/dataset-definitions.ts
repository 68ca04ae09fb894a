/**
 * The segmentation datasets configs can name (`fashion-mnist-scenes`, its embedded `-small`
 * variant, `voc2012`, `cityscapes`), registered in core's registries when
 * `@perturb/segmentation/node` is imported: they read files. Each loads as `@perturb/datasets`'
 * splits whose `Dataset`s carry label maps, so the trainer's batches carry them too; the scenes
 * carry their garments' boxes as well, so a detector trains on the same datasets.
 */
import { defineDataset, z } from '@perturb/core';
import { type Dataset, resizeImage, resizeLabels } from '@perturb/datasets';
import { type DatasetSplits, loadDataset } from '@perturb/datasets/node';
import type { SegmentationSource } from './layouts';
import { openCityscapes, openVoc } from './layouts-files';
import { sceneDataset, segmentationDataset } from './scene-dataset';
import { TEST_SCENES, generateScenes } from './scenes';
import { embeddedScenes } from './scenes-files';

const countOf = (what: string, fallback: string) =>
  z.int().positive().optional().describe(`${what} Default: ${fallback}.`);

/** Options of the `fashion-mnist-scenes` datasets, with their default sizes. */
const scenesOptions = (defaults: { train: number; test: number }) =>
  z.strictObject({
    trainSize: countOf(
      'Training scenes (seed 0; a larger set starts with a smaller one).',
      String(defaults.train),
    ),
    testSize: countOf(
      `Test scenes: the first of the fixed test set (seed ${TEST_SCENES.seed}, test garments only).`,
      String(defaults.test),
    ),
    size: z.int().min(8).default(64).describe('Canvas side in pixels'),
    padTo: z
      .int()
      .positive()
      .optional()
      .describe('Accepted as for every dataset; scenes are drawn at `size` and never padded'),
  });

/** Options of `fashion-mnist-scenes`. */
export const scenesDatasetOptions = scenesOptions({ train: 10_000, test: TEST_SCENES.count }).extend({
  dataRoot: z.string().min(1).optional().describe("Fashion-MNIST's folder (the garments)"),
  download: z.boolean().optional().describe('Download Fashion-MNIST into the cache when not found'),
});
const smallScenesOptions = scenesOptions({ train: 512, test: 256 });

defineDataset<DatasetSplits, typeof scenesDatasetOptions>({
  name: 'fashion-mnist-scenes',
  summary:
    'segmentation and detection: 2–4 Fashion-MNIST garments per 64×64 canvas, background + 10 classes, a box per visible garment (downloads Fashion-MNIST)',
  schema: scenesDatasetOptions,
  load: async (options) => {
    const garments = (split: 'train' | 'test') =>
      loadDataset('fashion-mnist', { split, path: options.dataRoot, download: options.download });
    const draw = async (split: 'train' | 'test', seed: number, count: number) =>
      sceneDataset(generateScenes(await garments(split), { size: options.size, seed, count }));
    return {
      train: () => draw('train', 0, options.trainSize ?? 10_000),
      test: () => draw('test', TEST_SCENES.seed, options.testSize ?? TEST_SCENES.count),
    };
  },
});

defineDataset<DatasetSplits, typeof smallScenesOptions>({
  name: 'fashion-mnist-scenes-small',
  summary:
    'segmentation and detection: fashion-mnist-scenes from the Fashion-MNIST subset shipped in @perturb/datasets (no download)',
  schema: smallScenesOptions,
  load: async (options) => {
    const draw = async (split: 'train' | 'test', count: number | undefined) =>
      sceneDataset(await embeddedScenes({ split, size: options.size, count }));
    return { train: () => draw('train', options.trainSize), test: () => draw('test', options.testSize) };
  },
});

/** Options of the datasets read from a folder, resized to one side on read. */
const folderOptions = (trainSplit: string, testSplit: string, side: number) =>
  z.strictObject({
    dataRoot: z.string().min(1).describe('The folder holding the dataset (required)'),
    trainSplit: z.string().min(1).default(trainSplit).describe('The split to train on'),
    testSplit: z.string().min(1).default(testSplit).describe('The split to evaluate on'),
    trainSize: countOf('Training images: the first of the split.', 'all'),
    testSize: countOf('Test images: the first of the split.', 'all'),
    size: z
      .int()
      .min(8)
      .default(side)
      .describe('Side every image is resized to (bilinear; label maps nearest, boxes scaled)'),
    padTo: z.int().positive().optional().describe('Accepted for every dataset; images are resized to `size`'),
  });

/**
 * Registers a dataset read from a folder (VOC, Cityscapes, COCO): `read(root, split, side,
 * limit)` gives the first `limit` images of a split (all without one) resized to `side × side`.
 * Every such dataset takes the same options: `dataRoot`, the two splits, their sizes and `size`.
 */
export function defineFolderDataset(
  name: string,
  summary: string,
  read: (root: string, split: string, side: number, limit: number | undefined) => Promise<Dataset>,
  splits: [string, string],
  side: number,
) {
  const schema = folderOptions(splits[0], splits[1], side);
  return defineDataset<DatasetSplits, typeof schema>({
    name,
    summary,
    schema,
    load: async (options) => ({
      train: () => read(options.dataRoot, options.trainSplit, options.size, options.trainSize),
      test: () => read(options.dataRoot, options.testSplit, options.size, options.testSize),
    }),
  });
}

/** The first `limit` samples of `source`, resized to `side × side`. */
function readLayout(source: SegmentationSource, side: number, limit = source.ids.length): Dataset {
  const count = Math.min(limit, source.ids.length);
  const images = new Uint8Array(count * side * side * 3);
  const maps = new Uint8Array(count * side * side);
  for (let i = 0; i < count; i++) {
    const { image, labels } = source.read(i);
    images.set(resizeImage(image.data, image.height, image.width, 3, side), i * side * side * 3);
    maps.set(resizeLabels(labels.data, labels.height, labels.width, side), i * side * side);
  }
  return segmentationDataset(source.name, { images, maps, count, side, channels: 3 }, source.classNames);
}

function defineLayout(
  name: string,
  summary: string,
  open: (root: string, split: string) => SegmentationSource,
  splits: [string, string],
  side: number,
) {
  return defineFolderDataset(
    name,
    summary,
    async (root, split, size, limit) => readLayout(open(root, split), size, limit),
    splits,
    side,
  );
}

defineLayout(
  'voc2012',
  'segmentation: Pascal VOC 2012 from its folder (JPEGImages, SegmentationClass, ImageSets), 21 classes',
  (root, split) => openVoc(root, { split }),
  ['train', 'val'],
  256,
);

defineLayout(
  'cityscapes',
  'segmentation: Cityscapes from its folder (leftImg8bit, gtFine labelIds → 19 train ids)',
  (root, split) => openCityscapes(root, { split }),
  ['train', 'val'],
  256,
);
