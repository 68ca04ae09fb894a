/**
 * `perturb compare --emit slurm`: the grid as a Slurm array job, one task per run in the grid's
 * order, each task `perturb compare --run-index $SLURM_ARRAY_TASK_ID`. Tasks resume their run
 * from its folder like compare does, so resubmitting the array finishes an interrupted grid.
 * The report needs every run, so it is a second job that depends on the array (`afterany`:
 * it reports the runs that finished, even if some failed); the script's header gives the
 * commands. Shared models are trained by task 0, submitted first on its own; tasks that
 * find one missing (task 0 failed, or everything was submitted at once) train it themselves,
 * one at a time under its lock, the others waiting.
 */
import { basename, join, resolve } from 'node:path';
import { makeFolder } from '@perturb/core/node';

/** What the script runs and how big each task is. */
export interface SlurmOptions {
  /** The compare config, absolute. */
  config: string;
  /** The grid's output folder, absolute. */
  out: string;
  /** Runs in the grid. */
  runs: number;
  /** Whether the grid trains shared models (flow, VAE-GANs) before its runs. */
  sharedModels: boolean;
  /** CPUs of each task, which are its wasm threads. */
  cpusPerTask: number;
  /** The command that runs `perturb` (node and the script, absolute), each word unquoted. */
  perturb: readonly string[];
  /** Flags every task repeats (`--plugin …`, `--out …`), each word unquoted. */
  extraFlags: readonly string[];
}

/** A word the shell reads back unchanged. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

const command = (words: readonly string[]) => words.map(shellQuote).join(' ');

/**
 * The sbatch script. Creates the log folder (`<out>/slurm`), since Slurm does not create the
 * folder of `--output` and a task whose log cannot be opened fails without a word.
 */
export function slurmScript(options: SlurmOptions): string {
  const logs = join(options.out, 'slurm');
  makeFolder(logs);
  const name = `perturb-${basename(resolve(options.out))}`;
  const last = options.runs - 1;
  const report = `sbatch --dependency=afterany:$ARRAY --job-name=${name}-report --output=${shellQuote(join(logs, 'report-%j.log'))} --wrap=${shellQuote(command([...options.perturb, 'report', options.out]))}`;
  const submit = options.sharedModels
    ? [
        '# The grid trains shared models first. Submit task 0 alone (it trains all of them, then its run),',
        '# the other tasks once it ended (afterany: should it fail, they train what is missing),',
        '# then the report once every task ended:',
        '#   FIRST=$(sbatch --parsable --array=0 grid.sbatch)',
        ...(last > 0
          ? [
              `#   REST=$(sbatch --parsable --array=1-${last} --dependency=afterany:$FIRST grid.sbatch)`,
              '#   ARRAY=$FIRST:$REST',
            ]
          : ['#   ARRAY=$FIRST']),
        `#   ${report}`,
        '# (Submitted at once instead, the first task to need a shared model trains it and the',
        '# others wait for it, holding their allocation.)',
      ]
    : [
        '# Submit the array, then the report once every task ended (afterany: even if some failed):',
        '#   ARRAY=$(sbatch --parsable grid.sbatch)',
        `#   ${report}`,
      ];
  const lines = [
    '#!/bin/bash',
    `# perturb compare --config ${options.config} as a Slurm array: task i trains run i of`,
    `# ${options.runs} in the grid's order (perturb compare --config … --run-index i), resuming it`,
    '# if it was interrupted; resubmit to finish a grid. Options given to sbatch on its command',
    '# line (--partition, --time, --mem, --gres) override the #SBATCH lines below.',
    ...submit,
    `#SBATCH --job-name=${name}`,
    `#SBATCH --array=0-${last}`,
    `#SBATCH --cpus-per-task=${options.cpusPerTask}`,
    `#SBATCH --output=${join(logs, '%A_%a.log')}`,
    '',
    '# Each task uses the CPUs it was given, not every core of the node.',
    `export PERTURB_WASM_THREADS=\${SLURM_CPUS_PER_TASK:-${options.cpusPerTask}}`,
    `exec ${command([...options.perturb, 'compare', '--config', options.config, ...options.extraFlags])} --run-index "$SLURM_ARRAY_TASK_ID"`,
    '',
  ];
  return lines.join('\n');
}
