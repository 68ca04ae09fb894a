/** IDX files on disk (Node): MNIST-style image and label files, plain or gzip. */
import { PerturbError } from '@perturb/core';
import { corruptFileError, countOf } from './corrupt';
import type { Dataset } from './dataset';
import { checkLabels } from './dataset';
import { readDataFile } from './files';
import { type IdxArray, type IdxDatasetInfo, parseIdx } from './idx';

/** Reads an IDX file, plain or gzip. */
export function readIdxFile(path: string): IdxArray {
  return parseIdx(readDataFile(path), path);
}

/**
 * Loads an IDX images file (`N×H×W` or `N×H×W×C`) and its labels file (`N`), plain or gzip,
 * checking that they agree.
 */
export function loadIdxDataset(imagesPath: string, labelsPath: string, info: IdxDatasetInfo): Dataset {
  const images = readIdxFile(imagesPath);
  const labels = readIdxFile(labelsPath);
  if (images.dims.length !== 3 && images.dims.length !== 4) {
    throw corruptFileError(imagesPath, `has dims [${images.dims.join(', ')}], not images (N×H×W or N×H×W×C)`);
  }
  if (labels.dims.length !== 1) {
    throw corruptFileError(labelsPath, `has dims [${labels.dims.join(', ')}], not a label vector (N)`);
  }
  if (info.examples !== undefined) {
    for (const [path, array, what] of [
      [imagesPath, images, 'images'],
      [labelsPath, labels, 'labels'],
    ] as const) {
      if (array.dims[0] !== info.examples) {
        throw corruptFileError(
          path,
          `holds ${countOf(array.dims[0])} ${what}, expected ${countOf(info.examples)} (${info.name})`,
        );
      }
    }
  }
  if (images.dims[0] !== labels.dims[0]) {
    throw new PerturbError(
      `${imagesPath} holds ${images.dims[0]} images but ${labelsPath} holds ${labels.dims[0]} labels`,
      'The two files come from different splits or datasets: use the matching images and labels files',
    );
  }
  const numClasses = info.classNames.length;
  checkLabels(labels.data, numClasses, labelsPath);
  const [, height, width, channels = 1] = images.dims;
  return {
    name: info.name,
    images: images.data,
    labels: labels.data,
    shape: { height, width, channels },
    numClasses,
    classNames: info.classNames,
  };
}
