/** Fetching what `npm run train-weights` wrote under public/, relative to the page's address. */
import { type Dataset, parseIdx } from '@perturb/datasets';
import { PerturbError } from '@perturb/core';
import { CLASS_NAMES, IMAGE_SHAPE } from './models';
import { DATA_FILES, type PageSplit } from './files';

const MISSING_FIX = 'run `npm run train-weights -w examples/latent-explorer`, then build the page again';

/** The bytes at `path` under `base` (the page's folder; a worker passes it, as its own URL differs). */
export async function fetchBytes(base: string, path: string): Promise<Uint8Array> {
  const url = new URL(path, base);
  const response = await fetch(url);
  if (!response.ok) throw new PerturbError(`${url} answered HTTP ${response.status}`, MISSING_FIX);
  return new Uint8Array(await response.arrayBuffer());
}

/** One of the page's image sets, as a dataset of @perturb/datasets (so its batching applies). */
export async function loadImages(base: string, split: PageSplit): Promise<Dataset> {
  const files = DATA_FILES[split];
  const [images, labels] = await Promise.all([
    fetchBytes(base, files.images).then(gunzip),
    fetchBytes(base, files.labels).then(gunzip),
  ]);
  const [height, width, channels] = IMAGE_SHAPE;
  return {
    name: `fashion-mnist-small (${split}, page subset)`,
    images: parseIdx(images, files.images).data,
    labels: parseIdx(labels, files.labels).data,
    shape: { height, width, channels },
    numClasses: CLASS_NAMES.length,
    classNames: CLASS_NAMES,
  };
}

/** Browsers inflate gzip natively (DecompressionStream), so the page needs no codec. */
async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
