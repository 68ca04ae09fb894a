/**
 * Scenes and segmentation samples as `@perturb/datasets`' `Dataset`s carrying label maps (and
 * the scenes their boxes), so the trainer's batches carry them too. In the main entry, so a page
 * that draws scenes from garments it fetched trains on them as the registered datasets do.
 */
import type { Dataset } from '@perturb/datasets';
import { IGNORE_INDEX } from './layouts';
import { type SceneSet, sceneObjects } from './scenes';

/** The image-level label of a scene: the class covering most labelled pixels (so subsets can balance). */
function dominantClasses(maps: Uint8Array, count: number, numClasses: number): Uint8Array {
  const area = maps.length / Math.max(count, 1);
  const labels = new Uint8Array(count);
  const counts = new Int32Array(numClasses);
  for (let i = 0; i < count; i++) {
    counts.fill(0);
    for (let p = i * area; p < (i + 1) * area; p++) if (maps[p] < numClasses) counts[maps[p]]++;
    labels[i] = counts.indexOf(Math.max(...counts));
  }
  return labels;
}

/** A segmentation split as a `Dataset` with label maps. */
export function segmentationDataset(
  name: string,
  parts: { images: Uint8Array; maps: Uint8Array; count: number; side: number; channels: number },
  classNames: readonly string[],
): Dataset {
  return {
    name,
    images: parts.images,
    labels: dominantClasses(parts.maps, parts.count, classNames.length),
    shape: { height: parts.side, width: parts.side, channels: parts.channels },
    numClasses: classNames.length,
    classNames,
    labelMaps: { classes: parts.maps, ignoreIndex: IGNORE_INDEX },
  };
}

/**
 * Scenes as a dataset for both tasks: label maps for a segmenter (background + the garment
 * classes), boxes for a detector (the garment classes, `boxes.classNames`).
 */
export function sceneDataset(scenes: SceneSet, name = 'fashion-mnist-scenes'): Dataset {
  return {
    ...segmentationDataset(
      name,
      { images: scenes.images, maps: scenes.labels, count: scenes.count, side: scenes.size, channels: 1 },
      scenes.classNames,
    ),
    boxes: sceneObjects(scenes),
  };
}
