/**
 * One in-memory form for detection data, whatever the file format: per image its path, size,
 * boxes `[x1, y1, x2, y2]` in continuous pixel coordinates, labels 1..C (0 is background), and
 * the crowd and difficult flags evaluation needs. Parsers of COCO JSON and Pascal VOC XML (the
 * file loaders are `dataset-files.ts`, in the Node entry).
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { PerturbError, check } from '@perturb/core';
import { VOC_CLASSES as VOC_SEGMENTATION_CLASSES } from '@perturb/segmentation';
import type { CocoAnnotation, CocoGroundTruth } from './coco-eval';

/** The annotations of one image. */
export interface DetectionRecord {
  /** COCO's image id, or VOC's image name (the file stem). */
  id: number | string;
  /** Path of the image file (joined to the loader's image root). */
  image: string;
  width: number;
  height: number;
  /** Flat `[x1, y1, x2, y2, …]`, one box per label. */
  boxes: Float32Array;
  /** Class label of each box, 1..C (index into the dataset's `classes`). */
  labels: Int32Array;
  /** COCO `iscrowd`: a region of many objects, matched but never required. */
  crowd: boolean[];
  /** VOC `difficult`: neither a hit nor a miss in evaluation. */
  difficult: boolean[];
  /** COCO's `area` of each object (its segmentation's), for COCO-style size ranges; VOC: box area. */
  area: Float32Array;
}

/** A detection dataset in memory. */
export interface DetectionDataset {
  /** Class names by label; `classes[0]` is `'__background__'`. */
  classes: string[];
  /** COCO: the category id of each label (index 0 unused, −1); VOC: the label itself. */
  categoryIds: number[];
  records: DetectionRecord[];
}

/**
 * The twenty Pascal VOC object classes, in the devkit's order (labels 1..20): the segmentation
 * classes without their background.
 */
export const VOC_CLASSES: readonly string[] = VOC_SEGMENTATION_CLASSES.slice(1);

/** `root/name` with one slash between (image paths are kept as given, not resolved). */
function joinPath(root: string, name: string): string {
  return `${root.replace(/\/+$/, '')}/${name}`;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * A COCO instances object (already parsed) as a {@link DetectionDataset}: categories sorted by
 * id become labels 1..C, bbox `[x, y, w, h]` becomes `[x, y, x + w, y + h]`, `iscrowd` and
 * `area` are kept; boxes with no width or height are dropped (as torchvision's COCO reference
 * does). `source` names the data in error messages.
 */
export function cocoDetectionFromJson(
  json: unknown,
  options: { imageRoot?: string; source?: string } = {},
): DetectionDataset {
  const source = options.source ?? 'the COCO annotations';
  const fix = 'give a COCO instances file with images, annotations and categories';
  if (
    !isObject(json) ||
    !Array.isArray(json.images) ||
    !Array.isArray(json.annotations) ||
    !Array.isArray(json.categories)
  ) {
    throw new PerturbError(`${source} lack an images, annotations or categories list`, fix);
  }
  const gt = json as unknown as CocoGroundTruth;
  const categories = [...gt.categories].sort((a, b) => a.id - b.id);
  categories.forEach((c, i) =>
    check(isObject(c) && isNumber(c.id), `${source}: category ${i} has no numeric id`, fix),
  );
  const labelOf = new Map(categories.map((c, i) => [c.id, i + 1]));
  const byImage = new Map<number, CocoAnnotation[]>();
  gt.annotations.forEach((a, i) => {
    check(
      isObject(a) && isNumber(a.image_id) && isNumber(a.category_id),
      `${source}: annotation ${i} lacks a numeric image_id or category_id`,
      fix,
    );
    check(
      Array.isArray(a.bbox) && a.bbox.length === 4 && a.bbox.every(isNumber),
      `${source}: annotation ${a.id ?? i} has bbox ${JSON.stringify(a.bbox)}`,
      'give bbox as [x, y, width, height] numbers',
    );
    check(
      labelOf.has(a.category_id),
      `${source}: annotation ${a.id ?? i} has category_id ${a.category_id}, which is not among the categories`,
      fix,
    );
    const list = byImage.get(a.image_id);
    if (list) list.push(a);
    else byImage.set(a.image_id, [a]);
  });
  const records = gt.images.map((image, i): DetectionRecord => {
    check(isObject(image) && isNumber(image.id), `${source}: image ${i} has no numeric id`, fix);
    const kept = (byImage.get(image.id) ?? []).filter((a) => a.bbox[2] > 0 && a.bbox[3] > 0);
    const boxes = new Float32Array(kept.length * 4);
    kept.forEach((a, j) =>
      boxes.set([a.bbox[0], a.bbox[1], a.bbox[0] + a.bbox[2], a.bbox[1] + a.bbox[3]], 4 * j),
    );
    const fileName = image.file_name ?? String(image.id);
    return {
      id: image.id,
      image: options.imageRoot ? joinPath(options.imageRoot, fileName) : fileName,
      width: image.width ?? 0,
      height: image.height ?? 0,
      boxes,
      labels: Int32Array.from(kept, (a) => labelOf.get(a.category_id)!),
      crowd: kept.map((a) => Boolean(a.iscrowd)),
      difficult: kept.map(() => false),
      area: Float32Array.from(kept, (a) => a.area ?? a.bbox[2] * a.bbox[3]),
    };
  });
  return {
    classes: ['__background__', ...categories.map((c) => c.name ?? String(c.id))],
    categoryIds: [-1, ...categories.map((c) => c.id)],
    records,
  };
}

const vocParser = new XMLParser({
  parseTagValue: false,
  ignoreAttributes: true,
  isArray: (name) => name === 'object',
});

/** One VOC annotation XML text as a record (labels from `classes`); `source` names it in errors. */
export function vocRecordFromXml(
  xml: string,
  options: {
    id: string;
    imageRoot: string;
    classes?: readonly string[];
    keepDifficult?: boolean;
    source?: string;
  },
): DetectionRecord {
  const classes = options.classes ?? VOC_CLASSES;
  const source = options.source ?? `VOC annotation ${options.id}`;
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw new PerturbError(
      `${source} is not well-formed XML (line ${valid.err.line}: ${valid.err.msg})`,
      'restore the file from the dataset archive',
    );
  }
  const root = (vocParser.parse(xml) as Record<string, unknown>).annotation;
  check(isObject(root), `${source} has no <annotation> element`, 'give a Pascal VOC annotation file');
  const number = (value: unknown, what: string): number => {
    const v = typeof value === 'string' ? Number(value.trim()) : NaN;
    check(
      Number.isFinite(v) && typeof value === 'string' && value.trim() !== '',
      `${source}: <${what}> is ${JSON.stringify(value ?? null)}, not a number`,
      'fix the annotation file',
    );
    return v;
  };
  const size = root.size;
  check(
    isObject(size),
    `${source} has no <size> element`,
    'give <size><width>…</width><height>…</height></size>',
  );
  const width = number(size.width, 'width');
  const height = number(size.height, 'height');
  const boxes: number[] = [];
  const labels: number[] = [];
  const difficult: boolean[] = [];
  const objects = (root.object as unknown[] | undefined) ?? [];
  objects.forEach((object, i) => {
    check(isObject(object), `${source}: <object> ${i} is empty`, 'give each object a <name> and a <bndbox>');
    const name = typeof object.name === 'string' ? object.name.trim() : '';
    const label = classes.indexOf(name) + 1;
    check(
      label > 0,
      `${source}: object ${i} has class "${name}", which is not among the ${classes.length} classes`,
      'pass the dataset’s class list as `classes`',
    );
    const hard = object.difficult === undefined ? false : number(object.difficult, 'difficult') === 1;
    if (hard && options.keepDifficult === false) return;
    const box = object.bndbox;
    check(
      isObject(box),
      `${source}: object ${i} has no <bndbox>`,
      'give <bndbox> with xmin, ymin, xmax, ymax',
    );
    // VOC's corners are 1-based pixel indices, inclusive: the box covers [xmin − 1, xmax] in continuous coordinates.
    boxes.push(
      number(box.xmin, 'xmin') - 1,
      number(box.ymin, 'ymin') - 1,
      number(box.xmax, 'xmax'),
      number(box.ymax, 'ymax'),
    );
    labels.push(label);
    difficult.push(hard);
  });
  const fileName =
    typeof root.filename === 'string' && root.filename.trim() !== ''
      ? root.filename.trim()
      : `${options.id}.jpg`;
  const flat = Float32Array.from(boxes);
  return {
    id: options.id,
    image: joinPath(options.imageRoot, fileName),
    width,
    height,
    boxes: flat,
    labels: Int32Array.from(labels),
    crowd: labels.map(() => false),
    difficult,
    area: Float32Array.from(
      labels,
      (_, j) => (flat[4 * j + 2] - flat[4 * j]) * (flat[4 * j + 3] - flat[4 * j + 1]),
    ),
  };
}

/**
 * A dataset as a COCO ground-truth object (for {@link cocoEvaluate}): image ids are the record
 * index + 1 when ids are not numbers, category ids come from `categoryIds`, boxes go back to
 * `[x, y, w, h]`, `crowd` to `iscrowd`. Difficult VOC boxes become crowd regions (never missed).
 */
export function toCocoGroundTruth(dataset: DetectionDataset): CocoGroundTruth {
  const imageId = (r: DetectionRecord, i: number) => (typeof r.id === 'number' ? r.id : i + 1);
  let next = 1;
  return {
    images: dataset.records.map((r, i) => ({
      id: imageId(r, i),
      file_name: r.image,
      width: r.width,
      height: r.height,
    })),
    categories: dataset.classes.slice(1).map((name, i) => ({ id: dataset.categoryIds[i + 1], name })),
    annotations: dataset.records.flatMap((r, i) =>
      Array.from(r.labels, (label, j) => {
        const [x1, y1, x2, y2] = r.boxes.subarray(4 * j, 4 * j + 4);
        return {
          id: next++,
          image_id: imageId(r, i),
          category_id: dataset.categoryIds[label],
          bbox: [x1, y1, x2 - x1, y2 - y1],
          area: r.area[j],
          iscrowd: r.crowd[j] || r.difficult[j] ? 1 : 0,
        };
      }),
    ),
  };
}
