/** Finding a dataset split's files in one candidate folder (or CIFAR archive), and reading them. */
import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { CifarLabelMode } from './cifar';
import { decodeCifar, missingCifarFile } from './cifar';
import type { CifarSpec, DatasetSpec, IdxSpec } from './catalog';
import type { Dataset, Split } from './dataset';
import { readDataFile } from './files';
import { loadIdxDataset } from './idx-files';
import { readTar } from './tar';

/** Where a split's files were found. */
export type LocatedFiles =
  | { readonly kind: 'idx'; readonly images: string; readonly labels: string }
  | { readonly kind: 'cifar-folder'; readonly files: readonly string[] }
  | { readonly kind: 'cifar-archive'; readonly archive: string };

/** The split's files in `location`, or a note of what is missing there. */
export type LocateResult = { readonly found: LocatedFiles } | { readonly missing: string };

const isFile = (path: string): boolean => existsSync(path) && statSync(path).isFile();

function locateIdx(spec: IdxSpec, dir: string, split: Split): LocateResult {
  const { images, labels } = spec.files[split];
  const find = (name: string): string | undefined => [join(dir, name), join(dir, `${name}.gz`)].find(isFile);
  const imagesPath = find(images);
  const labelsPath = find(labels);
  if (imagesPath && labelsPath) return { found: { kind: 'idx', images: imagesPath, labels: labelsPath } };
  const absent = [imagesPath ? null : images, labelsPath ? null : labels]
    .filter(Boolean)
    .map((f) => `${f}[.gz]`);
  return { missing: `no ${absent.join(' or ')}` };
}

function locateCifar(spec: CifarSpec, location: string, split: Split): LocateResult {
  if (isFile(location)) return { found: { kind: 'cifar-archive', archive: location } };
  for (const dir of [join(location, spec.extractedFolder), location]) {
    const files = spec.files[split].map((f) => join(dir, f));
    if (files.every(isFile)) return { found: { kind: 'cifar-folder', files } };
  }
  const archive = join(location, spec.archiveName);
  if (isFile(archive)) return { found: { kind: 'cifar-archive', archive } };
  return {
    missing: `no ${spec.archiveName} and no ${spec.extractedFolder}/ holding ${spec.files[split].join(', ')}`,
  };
}

/** Looks for `spec`'s `split` in `location`: a dataset folder, or (CIFAR) its `.tar.gz`. */
export function locateSplit(spec: DatasetSpec, location: string, split: Split): LocateResult {
  return spec.format === 'idx' ? locateIdx(spec, location, split) : locateCifar(spec, location, split);
}

/** Options of reading located files. */
export interface ReadLocatedOptions {
  /** CIFAR-100 only: fine (100 classes) or coarse (20 superclasses) labels. Default `'fine'`. */
  readonly labelMode?: CifarLabelMode;
}

function readCifarChunks(spec: CifarSpec, files: LocatedFiles, split: Split) {
  if (files.kind === 'cifar-folder')
    return files.files.map((source) => ({ source, bytes: readDataFile(source) }));
  if (files.kind !== 'cifar-archive') throw new Error(`unreachable: ${files.kind} files for a CIFAR dataset`);
  const entries = readTar(readDataFile(files.archive), files.archive);
  return spec.files[split].map((file) => {
    const entry = entries.find((e) => basename(e.name) === file);
    if (!entry) throw missingCifarFile(file, files.archive);
    return { source: `${files.archive}:${entry.name}`, bytes: entry.data };
  });
}

/** Reads the located files of `spec`'s `split` into a dataset. */
export function readLocated(
  spec: DatasetSpec,
  files: LocatedFiles,
  split: Split,
  options: ReadLocatedOptions = {},
): Dataset {
  if (spec.format === 'idx') {
    if (files.kind !== 'idx') throw new Error(`unreachable: ${files.kind} files for an IDX dataset`);
    return loadIdxDataset(files.images, files.labels, {
      name: spec.name,
      classNames: spec.classNames,
      examples: spec.examples[split],
    });
  }
  const coarse = spec.labelBytes === 2 && options.labelMode === 'coarse';
  return decodeCifar(readCifarChunks(spec, files, split), {
    name: spec.name,
    labelBytes: spec.labelBytes,
    labelMode: options.labelMode,
    recordsPerChunk: spec.examples[split] / spec.files[split].length,
    classNames: coarse && spec.coarseClassNames ? spec.coarseClassNames : spec.classNames,
  });
}
