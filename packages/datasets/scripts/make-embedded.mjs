#!/usr/bin/env node
/**
 * Regenerates data/fashion-mnist-small/: a balanced Fashion-MNIST subset shipped inside the
 * package, the first 200 training and first 100 test images of each class in file order, written
 * as gzip IDX files with the standard names so the ordinary IDX loader reads them.
 *
 * Usage: node scripts/make-embedded.mjs [fashion-mnist folder]
 * (default: Debian's /usr/share/datasets/fashion-mnist, from the dataset-fashion-mnist package).
 * The output is deterministic: same input, same bytes. `src/embedded.test.ts` checks it against
 * stratifiedSubset of the full data when the Debian files are present.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

const source = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
const outDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'data', 'fashion-mnist-small');
const PER_CLASS = { train: 200, t10k: 100 };
const NUM_CLASSES = 10;

/** Reads a gzip IDX file of unsigned bytes: its dims and its values. */
function readIdx(path) {
  const bytes = gunzipSync(readFileSync(path));
  if (bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 0x08)
    throw new Error(`${path} is not an unsigned-byte IDX file`);
  const rank = bytes[3];
  const dims = Array.from({ length: rank }, (_, i) => bytes.readUInt32BE(4 + 4 * i));
  return { dims, data: bytes.subarray(4 + 4 * rank) };
}

function encodeIdx(dims, data) {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

/** Writes through a temporary file and a rename, so a crash never leaves a half-written file. */
function writeAtomic(path, data) {
  const temp = `${path}.tmp`;
  writeFileSync(temp, data);
  renameSync(temp, path);
}

mkdirSync(outDir, { recursive: true });
for (const [prefix, perClass] of Object.entries(PER_CLASS)) {
  const images = readIdx(join(source, `${prefix}-images-idx3-ubyte.gz`));
  const labels = readIdx(join(source, `${prefix}-labels-idx1-ubyte.gz`));
  const [, height, width] = images.dims;
  const size = height * width;
  const taken = new Array(NUM_CLASSES).fill(0);
  const chosen = [];
  labels.data.forEach((label, i) => {
    if (taken[label] < perClass) {
      taken[label]++;
      chosen.push(i);
    }
  });
  if (taken.some((t) => t < perClass))
    throw new Error(`${source} has fewer than ${perClass} ${prefix} images of some class`);
  const outImages = Buffer.concat(chosen.map((i) => images.data.subarray(i * size, (i + 1) * size)));
  const outLabels = Buffer.from(chosen.map((i) => labels.data[i]));
  // level 9 and node's fixed gzip header (no name, mtime 0) keep the output byte-identical across runs.
  writeAtomic(
    join(outDir, `${prefix}-images-idx3-ubyte.gz`),
    gzipSync(encodeIdx([chosen.length, height, width], outImages), { level: 9 }),
  );
  writeAtomic(
    join(outDir, `${prefix}-labels-idx1-ubyte.gz`),
    gzipSync(encodeIdx([chosen.length], outLabels), { level: 9 }),
  );
  console.log(`${prefix}: ${chosen.length} images (${perClass} per class) -> ${outDir}`);
}
