/** The report of a `perturb compare` folder: tables, plot, provenance and every run's augmentation grid. */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { PerturbError } from '@perturb/core';
import {
  type PrimaryMetric,
  type ReportProvenance,
  type RunRecord,
  comparedByPrimaryMetric,
  mean,
} from '@perturb/eval';
import {
  type ReportImage,
  type ReportTable,
  machineDescription,
  readRunResults,
  writeReport,
} from '@perturb/eval/node';
import { threadsPerChild } from './child-process';
import { codeOf } from './code-provenance';
import { type RunFailure, describeRun } from './compare';
import { DETECTION_GRID } from './detection-grid';
import { PREDICTION_GRID } from './prediction-grid';

/** Name of the clean | augmented | difference grid each `perturb train` run writes. */
export const AUGMENTATION_GRID = 'augmented.png';

/** Options of {@link writeCompareReport}. */
export interface CompareReportOptions {
  /**
   * The `perturb` script that ran the grid: the report takes perturb's version from its package
   * and the git commit from its folder. Default none (both "not recorded").
   */
  bin?: string;
  /** Runs that failed for good (a queue's): named in the notes, left out of the tables. Default none. */
  failed?: readonly RunFailure[];
}

/**
 * Writes `report.md` and `report.html` into `dir` from the runs under it; returns their paths.
 * The title is the folder's name (the experiment's, e.g. `fashion-mnist-1000`), the methods keep
 * the order (and so the colours) of `compare.yaml`, and the provenance table gives the commit,
 * the hash of `compare.yaml`, the dates, this machine and the runs' backend.
 */
export function writeCompareReport(
  dir: string,
  options: CompareReportOptions = {},
): { markdown: string; html: string } {
  if (!existsSync(join(dir, 'runs'))) {
    throw new PerturbError(
      `${dir} holds no runs/ folder`,
      'pass the folder `perturb compare` wrote (its --out)',
    );
  }
  const runs = readRunResults(join(dir, 'runs'));
  const { metric: primary, records } = comparedByPrimaryMetric(runs);
  const grid = readGrid(dir);
  // compare.yaml's order, so tables, images and colours follow the grid as written.
  const methodOrder = grid ? Object.keys(grid.settings.methods ?? {}) : [];
  const methods = inOrder([...new Set(records.map((r) => r.method))], methodOrder);
  const baseline = methods.includes('baseline') ? 'baseline' : methods[0];
  const images: ReportImage[] = [];
  for (const method of methods) {
    for (const { file, shows, ofBaseline } of RUN_GRIDS) {
      const run = firstRunWith(dir, method, file);
      if (run && (ofBaseline || method !== baseline)) {
        images.push({ title: `${method}: ${shows} (${run})`, path: join(dir, 'runs', method, run, file) });
      }
    }
  }
  images.push(...latestFlowImages(join(dir, 'flow', 'images')));
  // Runs that failed for good (a queue's) are named: the tables leave them out.
  const failed = options.failed ?? [];
  const failures =
    failed.length === 0
      ? ''
      : ` ${failed.length} run(s) failed and are not in the tables: ${failed.map(({ run, error }) => `${describeRun(run)} (${error})`).join('; ')}.`;
  const metric = primary?.name ?? 'accuracy';
  const files = writeReport(dir, {
    title: `${basename(resolve(dir))}: test ${metric} by method`,
    records,
    baseline,
    images,
    methodOrder: grid ? methodOrder : undefined,
    provenance: provenance(records, grid, options.bin),
    ...(primary ? { metric, tables: [secondaryTable(runs, methods, primary.secondary)] } : {}),
    notes: `Test ${primary?.description ?? 'accuracy'} per method and training-set size, mean and 95% interval over seeds; improvement and Holm-corrected paired p-values relative to "${baseline}".${failures}`,
  });
  return { markdown: files.markdown, html: files.html };
}

/** `methods` with those `order` lists first, in its order; the others after them as they were. */
function inOrder(methods: readonly string[], order: readonly string[]): string[] {
  const rank = (method: string) => (order.includes(method) ? order.indexOf(method) : order.length);
  return [...methods].sort((a, b) => rank(a) - rank(b));
}

/** The grids a run may write, shown for each method's first run that has one. */
const RUN_GRIDS = [
  // The baseline does not augment: its grid would show nothing.
  { file: AUGMENTATION_GRID, shows: 'clean | augmented | difference', ofBaseline: false },
  { file: PREDICTION_GRID, shows: 'image | prediction | ground truth | error', ofBaseline: true },
  { file: DETECTION_GRID, shows: 'predicted boxes | ground-truth boxes', ofBaseline: true },
];

/** The first run folder of `method` (in name order) holding `file`. */
function firstRunWith(dir: string, method: string, file: string): string | undefined {
  return readdirSync(join(dir, 'runs', method))
    .sort()
    .find((run) => existsSync(join(dir, 'runs', method, run, file)));
}

/** A second score (%) of the runs, mean over seeds per method (in `methods` order) and size (— where no run has it). */
function secondaryTable(
  runs: readonly RunRecord[],
  methods: readonly string[],
  secondary: PrimaryMetric['secondary'],
): ReportTable {
  const sizes = [...new Set(runs.map((r) => r.trainSize))].sort((a, b) => a - b);
  const cell = (method: string, size: number) => {
    const values = runs
      .filter((r) => r.method === method && r.trainSize === size)
      .map(secondary.value)
      .filter((v): v is number => v !== undefined);
    return values.length > 0 ? (100 * mean(values)).toFixed(2) : '—';
  };
  return {
    title: `Test ${secondary.title} (%)`,
    caption: 'Mean over seeds, per method and number of training images.',
    header: ['method', ...sizes.map((s) => `n = ${s}`)],
    rows: methods.map((m) => [m, ...sizes.map((s) => cell(m, s))]),
  };
}

/** `compare.yaml`, the grid's settings as `perturb compare` recorded them, with its bytes' hash. */
interface RecordedGrid {
  settings: { methods?: Record<string, unknown>; jobs?: number };
  hash: string;
}

function readGrid(dir: string): RecordedGrid | undefined {
  const path = join(dir, 'compare.yaml');
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8');
  return {
    settings: (parse(text) ?? {}) as RecordedGrid['settings'],
    hash: `sha256:${createHash('sha256').update(text).digest('hex').slice(0, 16)} of compare.yaml`,
  };
}

/** The fields of a run's `result.json` the provenance reads. */
interface RunProvenance {
  backend?: unknown;
  threads?: unknown;
  finishedAt?: unknown;
  code?: { commit?: unknown; version?: unknown };
}

function provenance(
  records: readonly RunRecord[],
  grid: RecordedGrid | undefined,
  bin?: string,
): ReportProvenance {
  const runs = records.map((r) => JSON.parse(readFileSync(r.source as string, 'utf8')) as RunProvenance);
  const strings = (values: unknown[]) =>
    [...new Set(values.filter((v): v is string => typeof v === 'string'))].sort();
  const finished = strings(runs.map((r) => r.finishedAt));
  // The code the runs recorded, when every run did; else (older runs) the report's own script's.
  const recorded = (field: 'commit' | 'version') => {
    const values = runs.map((r) => r.code?.[field]);
    return values.every((v) => typeof v === 'string') ? strings(values).join(', ') : undefined;
  };
  const code = { ...(bin ? codeOf(bin) : {}) };
  for (const field of ['commit', 'version'] as const) {
    const value = recorded(field);
    if (value) code[field] = value;
  }
  const backends = strings(runs.map((r) => r.backend));
  const cores = availableParallelism();
  const date = new Date().toISOString();
  return {
    ...code,
    ...(grid ? { configHash: grid.hash } : {}),
    date:
      finished.length > 0
        ? `report ${date}; runs finished ${finished[0]} … ${finished[finished.length - 1]}`
        : `report ${date}`,
    machine: `${machineDescription()} (the machine writing the report)`,
    ...(backends.length > 0 ? { backend: backends.join(', ') } : {}),
    threads: threadsOf(runs, cores, grid),
  };
}

/**
 * The threads the runs ran on, as they recorded them; for runs from before they did, what
 * compare's rule would have given them (cores ÷ runs at once, unless PERTURB_WASM_THREADS).
 */
function threadsOf(runs: readonly RunProvenance[], cores: number, grid: RecordedGrid | undefined): string {
  const recorded = [...new Set(runs.map((r) => r.threads).filter((t) => typeof t === 'number'))].sort(
    (a, b) => a - b,
  );
  const unrecorded = runs.filter((r) => typeof r.threads !== 'number').length;
  const parts = recorded.length > 0 ? [`${recorded.join(', ')} thread(s) a run (recorded by the runs)`] : [];
  if (unrecorded > 0) {
    const rule = process.env.PERTURB_WASM_THREADS
      ? `${process.env.PERTURB_WASM_THREADS} (PERTURB_WASM_THREADS)`
      : `${threadsPerChild(grid?.settings.jobs ?? cores, cores)} wasm thread(s) a run (cores ÷ runs at once, compare's rule)`;
    parts.push(
      recorded.length > 0
        ? `${unrecorded} run(s) did not record theirs: ${rule}`
        : `${rule}; the runs did not record it`,
    );
  }
  return parts.join('; ');
}

/** The last epoch's sample and reconstruction grids that `perturb train-flow` wrote, if any. */
function latestFlowImages(imagesDir: string): ReportImage[] {
  if (!existsSync(imagesDir)) return [];
  const files = readdirSync(imagesDir).sort();
  const last = files.filter((f) => f.endsWith('-reconstructions.png')).pop();
  if (!last) return [];
  const epoch = last.slice(0, last.indexOf('-reconstructions.png'));
  return files
    .filter((f) => f.startsWith(`${epoch}-`))
    .map((f) => ({ title: `Glow ${f.slice(epoch.length + 1, -4)} (${epoch})`, path: join(imagesDir, f) }));
}
