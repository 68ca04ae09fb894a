/**
 * Reads the `result.json` files `perturb train` writes into run records. Layout of an experiment:
 * `<dir>/runs/<method>/n<trainSize>-s<seed>/result.json`; the method is the folder above the run
 * folder, or, when the run folder is not named `n<size>-s<seed>`, the file's `method` field.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { PerturbError } from '@perturb/core';
import { RESULT_SCORE_FIELDS, type RunRecord } from './aggregate';

/** `n<trainSize>-s<seed>`, the name of one run's folder. */
const RUN_FOLDER = /^n(\d+)-s(\d+)$/;

/** The fields of `perturb train`'s `result.json` that records need (the CLI's `TrainRunResult`). */
interface ResultFile {
  method?: unknown;
  config?: { trainSize?: unknown; seed?: unknown };
  testAccuracy?: unknown;
  testMeanIoU?: unknown;
  testMAP?: unknown;
  testAP50?: unknown;
  testAP75?: unknown;
  test?: { accuracy?: unknown };
  seconds?: unknown;
  trainingSeconds?: unknown;
  trainingCpuSeconds?: unknown;
  epochs?: Array<{ seconds?: unknown }>;
}

/** The run's task scores (`RunRecord.scores`), from the fields of `RESULT_SCORE_FIELDS` it has. */
function scoresOf(path: string, file: ResultFile): Record<string, number> {
  return Object.fromEntries(
    Object.entries(RESULT_SCORE_FIELDS)
      .filter(([, field]) => file[field] !== undefined)
      .map(([score, field]) => [score, numberField(path, field, file[field])]),
  );
}

/** Training time over every sitting: `trainingSeconds`, else (older files) the epochs' sum, else `seconds`. */
function trainingSeconds(file: ResultFile): unknown {
  if (file.trainingSeconds !== undefined) return file.trainingSeconds;
  const epochs = Array.isArray(file.epochs) ? file.epochs : [];
  if (epochs.length > 0 && epochs.every((e) => typeof e.seconds === 'number')) {
    return epochs.reduce((total, e) => total + (e.seconds as number), 0);
  }
  return file.seconds;
}

/**
 * Every `result.json` below `dir` (hidden folders and `node_modules` skipped) as a run record,
 * sorted by method, train size and seed. Train size and seed come from the run's config, else
 * from its folder name; accuracy is `testAccuracy`; seconds is the training time over every
 * sitting `perturb train` recorded (`trainingSeconds`, or its epochs' sum in older files), else
 * the wall time of its last one; cpuSeconds is `trainingCpuSeconds` where the file has it;
 * scores are its task scores (`testMeanIoU` → `meanIoU`, `testMAP` → `mAP`, `testAP50`, `testAP75`).
 */
export function readRunResults(dir: string): RunRecord[] {
  const records = findResultFiles(dir).map((path) => toRecord(path, relative(dir, path).split(sep)));
  return records.sort(
    (a, b) => a.method.localeCompare(b.method) || a.trainSize - b.trainSize || a.seed - b.seed,
  );
}

function findResultFiles(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    throw new PerturbError(
      `cannot read the folder ${dir}`,
      'pass the experiment folder that holds runs/<method>/n<size>-s<seed>/result.json',
    );
  }
  return entries
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory())
        return entry.name.startsWith('.') || entry.name === 'node_modules' ? [] : findResultFiles(path);
      return entry.isFile() && entry.name === 'result.json' ? [path] : [];
    });
}

function toRecord(path: string, parts: string[]): RunRecord {
  let file: ResultFile;
  try {
    file = JSON.parse(readFileSync(path, 'utf8')) as ResultFile;
  } catch (error) {
    throw new PerturbError(
      `${path} is not valid JSON (${(error as Error).message})`,
      'delete it and rerun that run',
    );
  }
  const layout = parts.length >= 3 ? RUN_FOLDER.exec(parts[parts.length - 2]) : null;
  const scores = scoresOf(path, file);
  const method = layout ? parts[parts.length - 3] : file.method;
  if (typeof method !== 'string' || method === '') {
    throw new PerturbError(
      `cannot tell the method of ${path}`,
      'put it at runs/<method>/n<size>-s<seed>/result.json or add a "method" field',
    );
  }
  return {
    method,
    trainSize: numberField(path, 'config.trainSize', file.config?.trainSize ?? layout?.[1]),
    seed: numberField(path, 'config.seed', file.config?.seed ?? layout?.[2]),
    accuracy: numberField(path, 'testAccuracy', file.testAccuracy ?? file.test?.accuracy),
    seconds: numberField(path, 'seconds', trainingSeconds(file)),
    ...(typeof file.trainingCpuSeconds === 'number' ? { cpuSeconds: file.trainingCpuSeconds } : {}),
    ...(Object.keys(scores).length > 0 ? { scores } : {}),
    source: path,
  };
}

function numberField(path: string, name: string, value: unknown): number {
  const number = typeof value === 'string' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number)) {
    throw new PerturbError(
      `${path} has no numeric ${name}`,
      'use a result.json written by perturb train, or name its folder n<size>-s<seed>',
    );
  }
  return number;
}
