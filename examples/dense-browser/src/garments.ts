/**
 * The garments the scenes are drawn from: the Fashion-MNIST subset embedded in
 * `@perturb/datasets` (2,000 training and 1,000 test images), which the build copies beside the
 * page as the gzipped IDX files it ships. Nothing is downloaded from elsewhere.
 */
import { PerturbError } from '@perturb/core';
import { DATASETS, type IdxSpec, parseIdx } from '@perturb/datasets';
import type { GarmentSource } from '@perturb/segmentation';

// The catalog types every entry as IDX or CIFAR; this one is IDX (images and labels files).
const EMBEDDED = DATASETS['fashion-mnist-small'] as IdxSpec;

/** The folder beside the page the build copies the embedded files into. */
export const GARMENT_FOLDER = 'data';

/** One split's garments, fetched relative to `base` (the page's address). */
export async function loadGarments(base: string, split: 'train' | 'test'): Promise<GarmentSource> {
  const files = EMBEDDED.files[split];
  const [images, labels] = await Promise.all([fetchIdx(base, files.images), fetchIdx(base, files.labels)]);
  return { images: images.data, labels: labels.data, classNames: EMBEDDED.classNames };
}

/** A gzipped IDX file of the embedded set, inflated by the browser itself (DecompressionStream) and parsed. */
async function fetchIdx(base: string, name: string) {
  const path = `${GARMENT_FOLDER}/${name}.gz`;
  const response = await fetch(new URL(path, base));
  if (!response.ok || !response.body) {
    throw new PerturbError(
      `${path} answered HTTP ${response.status}`,
      'build the page with `npm run build -w examples/dense-browser` and serve its dist/ folder',
    );
  }
  const inflated = response.body.pipeThrough(new DecompressionStream('gzip'));
  return parseIdx(new Uint8Array(await new Response(inflated).arrayBuffer()), path);
}
