/**
 * Where a dataset's files are: an explicit path, then `$PERTURB_DATA`, then the per-user cache,
 * then system folders, then (if allowed) a download into the cache.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { PerturbError } from '@perturb/core';
import type { DatasetName, DatasetSpec } from './catalog';
import { DATASET_NAMES, DATASETS } from './catalog';
import type { Split } from './dataset';
import type { DownloadOptions } from './download';
import { downloadFile } from './download';
import { packageDataDir } from './embedded';
import type { LocatedFiles } from './locate';
import { locateSplit } from './locate';
import type { ProgressListener } from './progress';
import { stderrProgress } from './progress';

/** Where to look for a dataset, whether to download it, and how patiently (`DownloadOptions`). */
export interface ResolveOptions extends DownloadOptions {
  /** Which split. Default `'train'`. */
  readonly split?: Split;
  /**
   * The dataset's folder (e.g. holding `train-images-idx3-ubyte.gz`, or CIFAR's
   * `cifar-10-batches-bin/` or `.tar.gz`), or a CIFAR `.tar.gz` itself. When given, only this
   * place is searched. Default: search the usual places.
   */
  readonly path?: string;
  /** Download into the cache when not found. Default: true if `PERTURB_DOWNLOAD=1`, else false. */
  readonly download?: boolean;
  /**
   * Base URL of a mirror laid out like the cache (`<mirror>/fashion-mnist/<file>`), used instead
   * of the official URLs. Default: `$PERTURB_DATA_MIRROR`, else the official URLs.
   */
  readonly mirror?: string;
  /** The per-user cache. Default: `$XDG_CACHE_HOME/perturb`, else `~/.cache/perturb`. */
  readonly cacheDir?: string;
  /** Search system folders such as Debian's `/usr/share/datasets/fashion-mnist`. Default `true`. */
  readonly useSystemDirs?: boolean;
  /** Download progress: `true` prints to stderr, `false` is silent, or a listener. Default `true`. */
  readonly progress?: boolean | ProgressListener;
}

/** Which rule of the search order found the dataset. */
export type DatasetSource = 'path' | 'env' | 'cache' | 'system' | 'package' | 'download';

/** A dataset split found on disk. */
export interface ResolvedDataset {
  readonly spec: DatasetSpec;
  readonly split: Split;
  readonly source: DatasetSource;
  /** The folder or archive searched. */
  readonly location: string;
  readonly files: LocatedFiles;
}

/** The per-user download cache: `$XDG_CACHE_HOME/perturb`, else `~/.cache/perturb`. */
export function defaultCacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  return xdg ? join(xdg, 'perturb') : join(homedir(), '.cache', 'perturb');
}

/** The catalog entry of `name`, or a `PerturbError` listing the known names. */
export function datasetSpec(name: string): DatasetSpec {
  if ((DATASET_NAMES as readonly string[]).includes(name)) return DATASETS[name as DatasetName];
  throw new PerturbError(`unknown dataset "${name}"`, `Use one of: ${DATASET_NAMES.join(', ')}`);
}

interface Candidate {
  readonly source: DatasetSource;
  readonly location: string;
}

/** Folders below a data root that may hold `spec`: its own folder, and for CIFAR (whose file names are unique) the root itself. */
function underRoot(spec: DatasetSpec, root: string, source: DatasetSource): Candidate[] {
  const own = { source, location: join(root, spec.folderName) };
  return spec.format === 'cifar' ? [own, { source, location: root }] : [own];
}

function candidates(spec: DatasetSpec, options: ResolveOptions, cacheDir: string): Candidate[] {
  if (!spec.baseUrl) return [{ source: 'package', location: join(packageDataDir(), spec.folderName) }];
  const env = process.env.PERTURB_DATA;
  return [
    ...(env ? underRoot(spec, env, 'env') : []),
    ...underRoot(spec, cacheDir, 'cache'),
    ...((options.useSystemDirs ?? true)
      ? spec.systemDirs.map((location) => ({ source: 'system' as const, location }))
      : []),
  ];
}

function progressListener(option: ResolveOptions['progress'], label: string): ProgressListener | undefined {
  if (typeof option === 'function') return option;
  return (option ?? true) ? stderrProgress(label) : undefined;
}

async function download(
  spec: DatasetSpec,
  split: Split,
  options: ResolveOptions,
  cacheDir: string,
): Promise<ResolvedDataset> {
  const location = join(cacheDir, spec.folderName);
  const mirror = options.mirror ?? process.env.PERTURB_DATA_MIRROR;
  for (const file of spec.remote[split]) {
    const url = mirror
      ? `${mirror.replace(/\/+$/, '')}/${spec.folderName}/${file.fileName}`
      : new URL(file.fileName, spec.baseUrl).href;
    await downloadFile({
      url,
      dest: join(location, file.fileName),
      sha256: file.sha256,
      bytes: file.bytes,
      connectTimeoutMs: options.connectTimeoutMs,
      idleTimeoutMs: options.idleTimeoutMs,
      retries: options.retries,
      retryDelayMs: options.retryDelayMs,
      onProgress: progressListener(options.progress, `${spec.name} ${file.fileName}`),
    });
  }
  const result = locateSplit(spec, location, split);
  if ('missing' in result) throw new Error(`downloaded ${spec.name} but ${location} has ${result.missing}`);
  return { spec, split, source: 'download', location, files: result.found };
}

/** Like `resolveDataset`, for a catalog entry (tests pass their own). */
export async function resolveSpec(spec: DatasetSpec, options: ResolveOptions = {}): Promise<ResolvedDataset> {
  const split = options.split ?? 'train';
  if (options.path !== undefined) {
    const result = locateSplit(spec, options.path, split);
    if ('found' in result)
      return { spec, split, source: 'path', location: options.path, files: result.found };
    throw new PerturbError(
      `${options.path} does not hold ${spec.name} (${split}): ${result.missing}`,
      `set dataRoot (a config, --data-root) or path (loadDataset) to the folder holding the ${spec.name} files${spec.format === 'cifar' ? ` or ${spec.archiveName} itself` : ''}`,
    );
  }
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const looked: string[] = process.env.PERTURB_DATA || !spec.baseUrl ? [] : ['$PERTURB_DATA (not set)'];
  for (const candidate of candidates(spec, options, cacheDir)) {
    const result = locateSplit(spec, candidate.location, split);
    if ('found' in result) return { spec, split, ...candidate, files: result.found };
    looked.push(`${candidate.location} (${result.missing})`);
  }
  const allowDownload = options.download ?? process.env.PERTURB_DOWNLOAD === '1';
  if (allowDownload && spec.baseUrl) return download(spec, split, options, cacheDir);
  throw new PerturbError(
    `${spec.name} (${split}) was not found; looked in: ${looked.join('; ')}`,
    spec.baseUrl
      ? `Set PERTURB_DATA to a folder holding ${spec.folderName}/, pass { path } to the dataset's folder, or allow the download with { download: true } or PERTURB_DOWNLOAD=1`
      : 'Reinstall @perturb/datasets: its shipped data is missing',
  );
}

/**
 * Finds the files of dataset `name`'s split: `options.path` if given; else
 * `$PERTURB_DATA/<folder>`, the cache `<cacheDir>/<folder>`, the system folders; else downloads
 * into the cache when allowed (verifying SHA-256). `fashion-mnist-small` is always the copy shipped
 * in this package.
 */
export async function resolveDataset(name: string, options: ResolveOptions = {}): Promise<ResolvedDataset> {
  return resolveSpec(datasetSpec(name), options);
}
