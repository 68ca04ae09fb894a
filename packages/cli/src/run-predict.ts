/**
 * `perturb predict`: a trained run's model on one's own photos — a classifier's classes, a
 * segmenter's label maps, a detector's boxes — each photo prepared as the run's data was and
 * each prediction given in the photo's own pixels.
 */
import { join } from 'node:path';
import {
  type Model,
  PerturbError,
  ProgressBar,
  asClassifier,
  initBackend,
  parseOptions,
  taskOf,
  z,
} from '@perturb/core';
import { loadPlugins, resolvePlugins } from './plugins';
import { type Frame, inputFiles, modelPixels, photoBatch, photoFrame, readPhoto } from './predict-inputs';
import {
  type ClassPrediction,
  type CocoDetection,
  type DetectedImage,
  type Photo,
  type PhotoDetections,
  type Predictor,
  type SegmentPrediction,
  classificationPredictor,
  detectionPredictor,
  segmentationPredictor,
} from './predict-tasks';
import { type StagedFolder, withStagedFolder } from './staged-folder';
import { loadModel, readRun, runModelData } from './trained-run';
import type { ModelData } from './task-data';

/** The file every prediction lists its results in, inside the output folder. */
export const PREDICTIONS_FILE = 'predictions.json';

/** The checked settings of {@link runPredict}, with their defaults. */
export const predictOptionsSchema = z.strictObject({
  /** The folder `perturb train` wrote (its `checkpoint.safetensors`, and `result.json` or `config.yaml`). */
  run: z.string().min(1),
  /** Image files (PNG, JPEG, told by their contents) and folders of them (their `.png`/`.jpg`/`.jpeg` files, sorted). */
  inputs: z.array(z.string().min(1)),
  /** The output folder (created if missing). Default `<run>/predictions`. */
  out: z.string().min(1).optional(),
  /** Photos per batch. Default by task: 64 for a classifier, 8 for a segmenter, 4 for a detector. */
  batchSize: z.number().int().positive().optional(),
  /** A classifier's most probable classes listed per photo (at most its classes). Default 5. */
  topK: z.number().int().positive().default(5),
  /** A detector's detections kept: those scoring above this. Default 0.5. */
  scoreThreshold: z.number().min(0).max(1).default(0.5),
  /** Plugin modules to load first (paths or package names), besides those the run loaded. Default none. */
  plugins: z.array(z.string()).default([]),
  /** A progress bar on stderr while more than one batch is predicted. Default true. */
  progress: z.boolean().default(true),
});

/** Options of {@link runPredict} (see {@link predictOptionsSchema} for each one's default). */
export type PredictOptions = z.input<typeof predictOptionsSchema>;

/** What every prediction result holds, whatever the task. */
export interface PredictCommon {
  /** The run folder whose model predicted. */
  run: string;
  /** The output folder. */
  out: string;
  /** The results file written in it ({@link PREDICTIONS_FILE}); the files each record names are beside it. */
  file: string;
}

/**
 * What `perturb predict` writes to `predictions.json`, tagged with the model's task: one record
 * per photo, in the order the photos were named (a folder's by file name).
 */
export type PredictResult = PredictCommon &
  (
    | { task: 'classification'; predictions: ClassPrediction[] }
    | {
        task: 'segmentation';
        /** The label maps' class names, by class id (their pixel values). */
        classNames: string[];
        predictions: SegmentPrediction[];
      }
    | {
        task: 'detection';
        /** The photos, by `image_id`. */
        images: DetectedImage[];
        /** Every photo's detections, COCO's results format: a photo's best first. */
        detections: CocoDetection[];
      }
  );

/** The predictor for `model`'s task, or a one-line refusal of a task predict does not know. */
function predictorOf(
  model: Model,
  data: ModelData,
  frame: Frame,
  options: z.output<typeof predictOptionsSchema>,
) {
  const { kind } = taskOf(model);
  if (kind === 'classification') {
    return classificationPredictor(asClassifier(model, 'perturb predict'), data.classNames, options.topK);
  }
  if (kind === 'segmentation') return segmentationPredictor(model, data.classNames, frame);
  if (kind === 'detection') {
    return detectionPredictor(
      model,
      data.boxes?.classNames ?? data.classNames,
      options.scoreThreshold,
      frame,
    );
  }
  throw new PerturbError(
    `perturb predict knows classification, segmentation and detection models, but ${options.run}'s model is a ${kind} model`,
    'predict with a classifier, a segmenter or a detector',
  );
}

/**
 * Every photo of `files` predicted by `predictor`, `batchSize` at a time (each batch decoded
 * when its turn comes, so photos are not all held at once).
 */
function predictAll<Record>(
  predictor: Predictor<Record>,
  files: readonly string[],
  { data, frame }: { data: ModelData; frame: Frame },
  folder: StagedFolder,
  { batchSize, progress }: { batchSize: number; progress: boolean },
): Record[] {
  const bar =
    progress && files.length > batchSize ? new ProgressBar({ total: files.length, label: 'predict' }) : null;
  const records: Record[] = [];
  for (let start = 0; start < files.length; start += batchSize) {
    const photos: Photo[] = files
      .slice(start, start + batchSize)
      .map((file, i) => ({ id: start + i, file, image: readPhoto(file) }));
    const x = photoBatch(
      photos.map((photo) => modelPixels(photo.image, data.shape.channels, frame, predictor.fit)),
      data.shape,
      frame,
    );
    try {
      records.push(...predictor.predict(x, photos, folder));
    } finally {
      x.dispose();
    }
    bar?.update(start + photos.length);
  }
  bar?.done();
  return records;
}

/** The task's result from its records. */
function resultOf(task: string, common: PredictCommon, data: ModelData, records: unknown[]): PredictResult {
  if (task === 'classification') return { ...common, task, predictions: records as ClassPrediction[] };
  if (task === 'segmentation') {
    return { ...common, task, classNames: [...data.classNames], predictions: records as SegmentPrediction[] };
  }
  const found = records as PhotoDetections[];
  return {
    ...common,
    task: 'detection',
    images: found.map((record) => record.image),
    detections: found.flatMap((record) => record.detections),
  };
}

/**
 * Predicts `inputs` with the run's model (see {@link predictOptionsSchema}) and writes
 * `predictions.json`, with the label maps or drawn photos it names, into the output folder:
 * all of them or, when any photo fails, none.
 */
export async function runPredict(raw: PredictOptions): Promise<PredictResult> {
  const options = parseOptions(predictOptionsSchema, raw, 'perturb predict options');
  await loadPlugins(resolvePlugins(options.plugins, process.cwd(), '--plugin'));
  const trained = await readRun(options.run);
  const files = inputFiles(options.inputs);
  const out = options.out ?? join(options.run, 'predictions');
  await initBackend({ log: false });
  const data = await runModelData(trained);
  const frame = photoFrame(data, trained.config.model);
  const model = loadModel(trained, data);
  try {
    const predictor = predictorOf(model, data, frame, options) as Predictor<unknown>;
    const batchSize = options.batchSize ?? predictor.batchSize;
    return await withStagedFolder(out, '--out', 'perturb predict', (folder) => {
      const records = predictAll(predictor, files, { data, frame }, folder, {
        batchSize,
        progress: options.progress,
      });
      const common: PredictCommon = { run: options.run, out, file: join(out, PREDICTIONS_FILE) };
      const result = resultOf(taskOf(model).kind, common, data, records);
      folder.write(PREDICTIONS_FILE, JSON.stringify(result, null, 2) + '\n');
      return result;
    });
  } finally {
    model.dispose();
  }
}

const percent = (value: number) => `${(100 * value).toFixed(1)}%`;

/** What a photo's line names of its detections: the first few, best first. */
const NAMED_DETECTIONS = 5;

/** One line per photo of what the model found, then where the results are. */
export function predictSummary(result: PredictResult): string {
  const lines =
    result.task === 'classification'
      ? result.predictions.map((p) => `${p.file}: ${p.className} (${percent(p.probability)})`)
      : result.task === 'segmentation'
        ? result.predictions.map((p) => {
            const top = Object.entries(p.fractions)
              .filter(([, share]) => share > 0)
              .sort((a, b) => b[1] - a[1])
              .slice(0, 3);
            return `${p.file}: ${top.map(([name, share]) => `${name} ${percent(share)}`).join(', ')} → ${p.labels}`;
          })
        : detectionLines(result.images, result.detections);
  return [...lines, `→ ${result.file}`].join('\n') + '\n';
}

/** A line per photo: how many objects, the best few by name and score, and its drawing. */
function detectionLines(images: readonly DetectedImage[], detections: readonly CocoDetection[]): string[] {
  const found = images.map((): CocoDetection[] => []);
  for (const detection of detections) found[detection.image_id].push(detection);
  return images.map((image) => {
    const own = found[image.id];
    const named = own.slice(0, NAMED_DETECTIONS).map((d) => `${d.category} ${percent(d.score)}`);
    if (own.length > NAMED_DETECTIONS) named.push(`${own.length - NAMED_DETECTIONS} more`);
    const objects = `${own.length} object${own.length === 1 ? '' : 's'}`;
    return `${image.file}: ${objects}${named.length > 0 ? ` (${named.join(', ')})` : ''} → ${image.drawn}`;
  });
}
