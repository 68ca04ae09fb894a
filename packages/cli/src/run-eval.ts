/**
 * `perturb eval`: scores a trained run's model on the test set — a classifier's accuracy, top-k,
 * ECE and confusion matrix; a segmenter's or detector's task scores (mean IoU, COCO mAP…), as
 * `perturb train` computes its final ones — and, optionally, on the test images transformed by
 * any augmenter a config can name (pixel PGD for robustness; a method's own augmenter to see how
 * hard and how far its examples are for this model).
 */
import { basename, dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  PerturbError,
  asClassifier,
  augmenters,
  initBackend,
  optionKeys,
  taskOf,
} from '@perturb/core';
import { writeFileAtomic } from '@perturb/core/node';
import {
  type ClassificationMetrics,
  type ClassifierEvaluation,
  RESULT_SCORE_FIELDS,
  evaluateClassifier,
} from '@perturb/eval';
import type { EvalResult } from '@perturb/trainer';
import { checkAugmenterEntries } from './augmenter-check';
import { AugmenterBuilder, buildAugmenters } from './augmenter-registry';
import { type AugmenterConfig, parseAugmenterEntry } from './config';
import { loadPlugins, resolvePlugins } from './plugins';
import { loadSplit } from './run-train';
import { type DenseEvaluation, scoreDenseModel, testBatches, writeTestGrid } from './test-scores';
import { loadModel, readRun } from './trained-run';

/** Options of {@link runEval}. */
export interface EvalRunOptions {
  /** The folder `perturb train` wrote (its `checkpoint.safetensors`, and `result.json` or `config.yaml`). */
  run: string;
  /**
   * An augmenter applied to every test batch and scored too, as a config names it: a name
   * (`'pixelPgd'`), `{ name: options }`, or that written as YAML text (what `--attack` takes).
   * Augmenters that replace a share of each batch (`ratio`) replace that share here too; on a
   * segmentation or detection run the augmenter must keep the task's targets (pixelPgd does).
   * An attack here measures accuracy under attack, so an augmenter that has `labels` and
   * `bnMode` settings (pixelPgd, latentAdversarial) defaults to {@link EVALUATION_ATTACK_DEFAULTS}
   * instead of its training defaults; settings the attack names itself are kept. Default none.
   */
  attack?: string | AugmenterConfig;
  /** Test images, balanced over classes. Default: the run's `testSize` (all when it has none). */
  testSize?: number;
  /**
   * Test images per batch. Default: the run's training batch size with an attack (the batches
   * its augmenter was made for, and memory for backpropagating through it), else 500 (50 for a
   * detector), as `perturb train` scores.
   */
  batchSize?: number;
  /** Seeds the attack's random stream. Default 0. */
  seed?: number;
  /** Where the JSON result goes. Default `<run>/eval.json`, or `<run>/eval-<attack>.json` with an attack. */
  out?: string;
  /**
   * Plugin modules to load first (paths relative to the working directory, or package names),
   * besides those the run itself loaded. Default none.
   */
  plugins?: string[];
}

/** What `perturb eval` writes, whatever the run's task (see {@link EvalRunResult}). */
export interface EvalRunCommon {
  /** The run folder evaluated. */
  run: string;
  /** The augmenter the attacked scores are for, with the evaluation defaults it took, or null. */
  attack: AugmenterConfig | null;
  seed: number;
  /** Where this result was written. */
  out: string;
}

/**
 * What `perturb eval` writes, tagged with the run's task (its model's, as result.json's `task`):
 * a classifier's metrics, or a dense model's task scores as `perturb train`'s `test` has them.
 * Check `task` before reading the task's own fields.
 */
export type EvalRunResult = EvalRunCommon &
  (
    | {
        task: 'classification';
        /** Scores on the clean test images and, with an attack, on the attacked ones. */
        evaluation: ClassifierEvaluation;
      }
    | {
        /** A plugin's own dense task is scored this way too, under its own kind. */
        task: 'segmentation' | 'detection';
        /**
         * Loss, accuracy and the task's scores (segmentation: `meanIoU`, `perClassIoU`, `frequencyWeightedIoU`…;
         * detection: `mAP`, `AP50`, `AP75`, `APsmall`/`APmedium`/`APlarge`, `AR100`) on the clean
         * test images and, with an attack, on the attacked ones.
         */
        evaluation: DenseEvaluation;
        /**
         * The grid of the clean test predictions written next to the result (`eval-predictions.png`,
         * `eval-detections.png`), or null with an attack (the run's own grid shows the clean ones).
         */
        grid: string | null;
      }
  );

/**
 * What an attack in evaluation defaults to where its training defaults differ: the true labels
 * (not the model's own predictions, which attack its mistakes "back" to being right) and
 * the model in eval mode (BatchNorm running statistics, as the scores themselves use).
 */
export const EVALUATION_ATTACK_DEFAULTS = { labels: 'true', bnMode: 'eval' } as const;

/** `attack` with {@link EVALUATION_ATTACK_DEFAULTS} for each of those settings it has and leaves unset. */
function withEvaluationDefaults(attack: AugmenterConfig): AugmenterConfig {
  if (!augmenters.has(attack.name)) return attack; // building it names the unknown augmenter
  const settings = optionKeys(augmenters.get(attack.name).schema);
  const defaults = Object.entries(EVALUATION_ATTACK_DEFAULTS).filter(([key]) => settings.includes(key));
  return { name: attack.name, options: { ...Object.fromEntries(defaults), ...attack.options } };
}

/** Reads `--attack`'s YAML text into an augmenter config. */
function parseAttack(attack: string | AugmenterConfig): AugmenterConfig {
  if (typeof attack !== 'string') return attack;
  let value: unknown;
  try {
    value = parseYaml(attack);
  } catch (error) {
    throw new PerturbError(
      `--attack ${JSON.stringify(attack)} is not valid YAML (${(error as Error).message.split('\n')[0]})`,
      'write a name (pixelPgd) or a name with options ({ pixelPgd: { epsilon: 0.1 } })',
    );
  }
  return parseAugmenterEntry(value, '--attack');
}

/** Evaluates a trained run (see {@link EvalRunOptions}) and writes the result atomically. */
export async function runEval(options: EvalRunOptions): Promise<EvalRunResult> {
  await loadPlugins(resolvePlugins(options.plugins ?? [], process.cwd(), '--plugin'));
  const trained = await readRun(options.run);
  const { config } = trained;
  await initBackend({ log: false });
  const attackConfig =
    options.attack === undefined ? null : withEvaluationDefaults(parseAttack(options.attack));
  const seed = options.seed ?? 0;
  if (attackConfig) checkAugmenterEntries([attackConfig], '--attack');
  const testSet = await loadSplit(config, 'test', options.testSize ?? config.testSize);
  const model = loadModel(trained, testSet);
  const builder = new AugmenterBuilder();
  try {
    const attack = attackConfig ? buildAugmenters([attackConfig], builder)[0] : undefined;
    const batchSize = options.batchSize ?? (attack ? config.batchSize : undefined);
    const out =
      options.out ?? join(options.run, attackConfig ? `eval-${attackConfig.name}.json` : 'eval.json');
    const common: EvalRunCommon = { run: options.run, attack: attackConfig, seed, out };
    const task = taskOf(model).kind;
    const result: EvalRunResult =
      task === 'classification'
        ? {
            ...common,
            task,
            evaluation: evaluateClassifier(
              asClassifier(model, 'perturb eval'),
              testBatches(model, testSet, batchSize),
              { ...(attack ? { attack } : {}), seed },
            ),
          }
        : {
            ...common,
            task: task as 'segmentation' | 'detection',
            evaluation: scoreDenseModel(model, testSet, { batchSize, ...(attack ? { attack } : {}), seed }),
            grid: attack ? null : writeTestGrid(dirname(out), model, testSet, `${basename(out, '.json')}-`),
          };
    writeFileAtomic(out, JSON.stringify(result, null, 2) + '\n');
    return result;
  } finally {
    model.dispose();
    builder.dispose();
  }
}

const percent = (value: number) => `${(100 * value).toFixed(2)}%`;

/** One line of a classifier's scores. */
function classifierLine(label: string, m: ClassificationMetrics): string {
  return `${label}: accuracy ${percent(m.accuracy)}, top-${m.topK.k} ${percent(m.topK.accuracy)}, ECE ${m.ece.toFixed(4)} (${m.count} images)`;
}

/** One line of a dense model's scores: loss, accuracy and the headline scores result.json lifts. */
function denseLine(label: string, task: string, m: EvalResult): string {
  const headline = Object.keys(RESULT_SCORE_FIELDS)
    .filter((score) => typeof m.scores?.[score] === 'number')
    .map((score) => `, ${score} ${percent(m.scores![score] as number)}`);
  const accuracy = task === 'segmentation' ? 'pixel accuracy' : 'accuracy';
  return `${label}: loss ${m.loss.toFixed(4)}, ${accuracy} ${percent(m.accuracy)}${headline.join('')} (${m.count} images)`;
}

/**
 * What `perturb eval` prints: the clean scores, the attacked ones and how far the attack moved
 * the images, the grid it drew, and where it wrote the result.
 */
export function evalSummary(result: EvalRunResult): string {
  const lines: string[] = [];
  if (result.task === 'classification') {
    const { evaluation } = result;
    lines.push(classifierLine('clean', evaluation));
    if (evaluation.attack) lines.push(classifierLine(evaluation.attack.name, evaluation.attack));
  } else {
    const { evaluation, task } = result;
    lines.push(denseLine('clean', task, evaluation));
    if (evaluation.attack) lines.push(denseLine(evaluation.attack.name, task, evaluation.attack));
  }
  const { attack } = result.evaluation;
  if (attack) {
    const { linf, l2 } = attack;
    lines.push(
      `  moved the images by L∞ ${linf.mean.toFixed(4)} (max ${linf.max.toFixed(4)}), L2 ${l2.mean.toFixed(4)} (max ${l2.max.toFixed(4)}) on average`,
    );
  }
  if (result.task !== 'classification' && result.grid)
    lines.push(`grid of the test predictions: ${result.grid}`);
  return [...lines, `→ ${result.out}`].join('\n') + '\n';
}
