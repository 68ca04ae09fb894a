/**
 * What `perturb predict` makes of a batch of photos, per task: a classifier's classes and their
 * probabilities, a segmenter's label map at each photo's own size, a detector's boxes in each
 * photo's own pixels (and the photo with them drawn).
 */
import { basename, extname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier, Model } from '@perturb/core';
import { type RgbImage, encodeLabelPng, encodeRgbPng, resizeLabels, vocPalette } from '@perturb/datasets';
import { detect, imageWithBoxes } from '@perturb/detection';
import type { Fit, Frame } from './predict-inputs';
import type { StagedFolder } from './staged-folder';

/** A photo to predict: its place in the input list, its file, its decoded pixels. */
export interface Photo {
  id: number;
  file: string;
  image: RgbImage;
}

/** How one task's model turns a batch of photos into one record per photo. */
export interface Predictor<Record> {
  /** How its photos are brought to the model's square. */
  fit: Fit;
  /** Photos per batch when the caller sets none. */
  batchSize: number;
  /** The records of `photos`, whose model inputs are `x` (`[N, size, size, C]`); files they name are staged in `folder`. */
  predict(x: tf.Tensor4D, photos: readonly Photo[], folder: StagedFolder): Record[];
}

/** A class and the probability the classifier gives it. */
export interface ClassProbability {
  /** The class id. */
  class: number;
  className: string;
  /** Softmax probability in [0, 1]. */
  probability: number;
}

/** A classifier's prediction for one photo: its most probable class, and the `topK` most probable. */
export interface ClassPrediction extends ClassProbability {
  file: string;
  /** The most probable classes, best first (ties by class id). */
  topK: ClassProbability[];
}

/** A segmenter's prediction for one photo. */
export interface SegmentPrediction {
  file: string;
  /** The photo's (and its label map's) size. */
  width: number;
  height: number;
  /** The label map's file in the output folder: a palette PNG of class ids (Pascal VOC's colours). */
  labels: string;
  /** The share of the photo's pixels given each class, by class name, in class-id order. */
  fractions: Record<string, number>;
}

/** A photo a detector looked at. */
export interface DetectedImage {
  /** Its `image_id` in the detections: its place in the input list, from 0. */
  id: number;
  file: string;
  width: number;
  height: number;
  /** The photo with its detections outlined (each class in its colour), a PNG in the output folder. */
  drawn: string;
}

/** One detection in COCO's results format, and the names that make it readable. */
export interface CocoDetection {
  image_id: number;
  file_name: string;
  /** The object class id, 0-based over the run's object classes. */
  category_id: number;
  category: string;
  /** x, y, width, height in the photo's own pixels (x, y the top-left corner). */
  bbox: [number, number, number, number];
  /** Class probability in [0, 1]. */
  score: number;
}

/** A detector's record of one photo: the photo and what was found on it. */
export interface PhotoDetections {
  image: DetectedImage;
  detections: CocoDetection[];
}

/** The output file name of `photo`'s picture: its own name as a PNG. */
const pngName = (photo: Photo) => `${basename(photo.file, extname(photo.file))}.png`;

/** Each photo's `k` most probable classes of `classifier`, which crops photos as image folders are read. */
export function classificationPredictor(
  classifier: Classifier,
  classNames: readonly string[],
  k: number,
): Predictor<ClassPrediction> {
  return {
    fit: 'crop',
    batchSize: 64,
    predict(x, photos) {
      const probabilities = tf.tidy(() => tf.softmax(classifier.logits(x, { training: false })));
      const rows = probabilities.arraySync();
      probabilities.dispose();
      return photos.map((photo, i) => {
        const ranked = rows[i]
          .map((probability, c) => ({ class: c, className: classNames[c], probability }))
          .sort((a, b) => b.probability - a.probability || a.class - b.class)
          .slice(0, k);
        return { file: photo.file, ...ranked[0], topK: ranked };
      });
    },
  };
}

/**
 * Each photo's label map from `segmenter`: the whole photo squeezed to its `frame` in the model's
 * square, the predicted map of the frame resized back to the photo's size by nearest sampling.
 */
export function segmentationPredictor(
  segmenter: Model,
  classNames: readonly string[],
  { side, top, left }: Frame,
): Predictor<SegmentPrediction> {
  return {
    fit: 'squeeze',
    batchSize: 8,
    predict(x, photos, folder) {
      const size = x.shape[1];
      const maps = tf.tidy(() => tf.argMax(segmenter.logits(x, { training: false }) as tf.Tensor4D, 3));
      const classes = maps.dataSync();
      maps.dispose();
      return photos.map((photo, i) => {
        const { width, height } = photo.image;
        const framed = new Uint8Array(side * side);
        for (let y = 0; y < side; y++) {
          const from = (i * size + top + y) * size + left;
          framed.set(classes.subarray(from, from + side), y * side);
        }
        const data = resizeLabels(framed, side, side, height, width);
        const counts = new Array<number>(classNames.length).fill(0);
        for (const c of data) counts[c]++;
        return {
          file: photo.file,
          width,
          height,
          labels: folder.write(pngName(photo), encodeLabelPng({ width, height, data }, vocPalette())),
          fractions: Object.fromEntries(classNames.map((name, c) => [name, counts[c] / data.length])),
        };
      });
    },
  };
}

/**
 * Each photo's detections scoring above `scoreThreshold` from `detector` (its inference:
 * per-class NMS, at most 100 a photo), the whole photo squeezed to its `frame` in the model's
 * square and the boxes mapped back to the photo's pixels (clipped to it); the photo is drawn
 * with them.
 */
export function detectionPredictor(
  detector: Model,
  classNames: readonly string[],
  scoreThreshold: number,
  { side, top, left }: Frame,
): Predictor<PhotoDetections> {
  return {
    fit: 'squeeze',
    batchSize: 4,
    predict(x, photos, folder) {
      const found = detect(detector, x, { scoreThreshold });
      return photos.map((photo, i) => {
        const { width, height } = photo.image;
        // Box edges are continuous coordinates, and the resize maps pixel edges linearly.
        const [origin, scale, extent] = [
          [left, top],
          [width / side, height / side],
          [width, height],
        ];
        const boxes = Float32Array.from(found[i].boxes, (v, k) =>
          Math.min(Math.max((v - origin[k % 2]) * scale[k % 2], 0), extent[k % 2]),
        );
        const { classes, scores } = found[i];
        const drawn = folder.write(
          pngName(photo),
          encodeRgbPng(imageWithBoxes(photo.image, { boxes, classes })),
        );
        return {
          image: { id: photo.id, file: photo.file, width, height, drawn },
          detections: Array.from(classes, (c, k) => {
            const [x1, y1, x2, y2] = boxes.subarray(4 * k, 4 * k + 4);
            return {
              image_id: photo.id,
              file_name: photo.file,
              category_id: c,
              category: classNames[c],
              bbox: [x1, y1, x2 - x1, y2 - y1] as CocoDetection['bbox'],
              score: scores[k],
            };
          }),
        };
      });
    },
  };
}
