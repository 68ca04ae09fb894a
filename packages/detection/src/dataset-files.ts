/** Loading detection datasets from files (Node): COCO instances JSON and Pascal VOC folders. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PerturbError } from '@perturb/core';
import {
  type DetectionDataset,
  type DetectionRecord,
  VOC_CLASSES,
  cocoDetectionFromJson,
  vocRecordFromXml,
} from './dataset';

async function readText(path: string, what: string, fix: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new PerturbError(`${what} ${path} does not exist`, fix);
    if (code === 'EISDIR') throw new PerturbError(`${what} ${path} is a folder, not a file`, fix);
    throw new PerturbError(`${what} ${path} cannot be read (${code ?? String(error)})`, fix);
  }
}

/** Reads a COCO instances JSON file (e.g. `annotations/instances_val2017.json`); see {@link cocoDetectionFromJson}. */
export async function loadCocoDetection(
  annotationFile: string,
  options: { imageRoot?: string } = {},
): Promise<DetectionDataset> {
  const fix = 'pass the path of a COCO instances JSON file';
  const text = await readText(annotationFile, 'COCO annotation file', fix);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new PerturbError(
      `COCO annotation file ${annotationFile} is not valid JSON (${(error as Error).message})`,
      fix,
    );
  }
  return cocoDetectionFromJson(json, { ...options, source: `COCO annotation file ${annotationFile}` });
}

/** Options of {@link loadVocDetection}. */
export interface VocLoadOptions {
  /** The list in `ImageSets/Main/` to read, e.g. 'train', 'val', 'trainval', 'test'. Default 'trainval'. */
  split?: string;
  /** Class names, labels 1..C in this order. Default {@link VOC_CLASSES}. */
  classes?: readonly string[];
  /** Keep boxes flagged difficult (flagged, for evaluation). Default true. */
  keepDifficult?: boolean;
}

/**
 * Reads a Pascal VOC folder (`VOC2007/` or `VOC2012/`: `ImageSets/Main/<split>.txt`,
 * `Annotations/<id>.xml`, `JPEGImages/`) into a {@link DetectionDataset}.
 */
export async function loadVocDetection(
  root: string,
  options: VocLoadOptions = {},
): Promise<DetectionDataset> {
  const { split = 'trainval', classes = VOC_CLASSES, keepDifficult = true } = options;
  const listFile = join(root, 'ImageSets', 'Main', `${split}.txt`);
  const list = await readText(
    listFile,
    `VOC split list`,
    `pass the VOC year folder (holding ImageSets/Main/${split}.txt) and an existing split`,
  );
  const ids = list
    .split(/\r?\n/)
    .map((line) => line.trim().split(/\s+/)[0])
    .filter((id) => id);
  const records: DetectionRecord[] = [];
  for (const id of ids) {
    const file = join(root, 'Annotations', `${id}.xml`);
    const xml = await readText(
      file,
      'VOC annotation',
      `restore Annotations/${id}.xml or remove ${id} from ${split}.txt`,
    );
    records.push(
      vocRecordFromXml(xml, {
        id,
        imageRoot: join(root, 'JPEGImages'),
        classes,
        keepDifficult,
        source: `VOC annotation ${file}`,
      }),
    );
  }
  return {
    classes: ['__background__', ...classes],
    categoryIds: [-1, ...classes.map((_, i) => i + 1)],
    records,
  };
}
