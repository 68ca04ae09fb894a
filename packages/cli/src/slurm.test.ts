/**
 * A grid on a cluster, tried with the built bin: `--emit slurm` writes an array job with one
 * task per run, and `--run-index i` (what each task runs) trains run i alone.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { gridRuns, readCompareConfig } from './compare';
import { shellQuote } from './slurm';
import { PERTURB_BIN, runPerturb } from './testing/perturb-process';

/** 2 methods × 3 seeds of one optimizer step each on the embedded dataset. */
function sixRunGrid(dir: string, extra: Record<string, unknown> = {}): string {
  const path = join(dir, 'grid.yaml');
  const base = {
    dataset: 'fashion-mnist-small',
    model: 'lenet5',
    trainSize: 20,
    testSize: 20,
    batchSize: 10,
    steps: 1,
    evalEvery: 0,
  };
  const methods = { baseline: {}, flip: { augmenters: ['horizontalFlip'] } };
  writeFileSync(path, stringify({ base, methods, seeds: [0, 1, 2], out: join(dir, 'out'), ...extra }));
  return path;
}

describe('perturb compare on Slurm', () => {
  it('emits an array job of one task per run, and the report step that depends on it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-slurm-'));
    const grid = sixRunGrid(dir);
    const { code, stdout, stderr } = await runPerturb(['compare', '--config', grid, '--emit', 'slurm']);
    expect(code, stderr).toBe(0);
    const out = join(dir, 'out');
    expect(stdout).toMatch(/^#!\/bin\/bash\n/);
    expect(stdout).toContain('\n#SBATCH --array=0-5\n');
    expect(stdout).toContain('\n#SBATCH --cpus-per-task=4\n');
    expect(stdout).toContain(`\n#SBATCH --output=${join(out, 'slurm', '%A_%a.log')}\n`);
    expect(stdout).toContain('\n#SBATCH --job-name=perturb-out\n');
    expect(stdout).toContain(
      `\nexec ${process.execPath} ${PERTURB_BIN} compare --config ${grid} --run-index "$SLURM_ARRAY_TASK_ID"\n`,
    );
    expect(stdout).toContain(
      `#   sbatch --dependency=afterany:$ARRAY --job-name=perturb-out-report --output=${join(out, 'slurm', 'report-%j.log')} --wrap=${shellQuote(`${process.execPath} ${PERTURB_BIN} report ${out}`)}\n`,
    );
    // Slurm does not create the log folder; the grid's record is written once, here.
    expect(existsSync(join(out, 'slurm'))).toBe(true);
    expect(existsSync(join(out, 'compare.yaml'))).toBe(true);
  });

  it('submits task 0 first when the grid trains shared models', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-slurm-'));
    const grid = sixRunGrid(dir, {
      methods: { baseline: {}, lag: { augmenters: [{ latentAdversarial: { flow: 'shared' } }] } },
      flow: { dataset: 'fashion-mnist-small', epochs: 1 },
    });
    const { code, stdout, stderr } = await runPerturb([
      'compare',
      '--config',
      grid,
      '--emit',
      'slurm',
      '--cpus-per-task',
      '2',
    ]);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('#   FIRST=$(sbatch --parsable --array=0 grid.sbatch)\n');
    expect(stdout).toContain(
      '#   REST=$(sbatch --parsable --array=1-5 --dependency=afterany:$FIRST grid.sbatch)\n',
    );
    expect(stdout).toContain('\n#SBATCH --cpus-per-task=2\n');
  });

  it('trains exactly the run --run-index names, and refuses an index outside the grid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'perturb-slurm-'));
    const grid = sixRunGrid(dir);
    const runs = gridRuns(readCompareConfig(grid));
    const { code, stderr } = await runPerturb(['compare', '--config', grid, '--run-index', '4']);
    expect(code, stderr).toBe(0);
    const finished = runs.map((run) => existsSync(join(run.dir, 'result.json')));
    expect(finished).toEqual([false, false, false, false, true, false]);
    expect(runs[4]).toMatchObject({ method: 'baseline', seed: 2 });
    const result = JSON.parse(readFileSync(join(runs[4].dir, 'result.json'), 'utf8'));
    expect(result.config).toMatchObject({ seed: 2, steps: 1, dataset: 'fashion-mnist-small' });
    // A task leaves the report to the job that depends on the array.
    expect(existsSync(join(dir, 'out', 'report.md'))).toBe(false);

    const outside = await runPerturb(['compare', '--config', grid, '--run-index', '6']);
    expect(outside.code).toBe(2);
    expect(outside.stderr).toBe(
      "perturb: run index 6 is outside the grid, whose 6 run(s) are numbered 0 to 5. choose an index from 0 to 5 (the order of `perturb compare --emit slurm`'s array)\n",
    );
  });
});
