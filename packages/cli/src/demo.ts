/**
 * `perturb demo` (the README's main job): a small comparison on the Fashion-MNIST subset shipped
 * in @perturb/datasets — baseline, crop+flip, LA-Glow adversarial and A-FAN, one seed, a small
 * Glow — sized to finish in about ten minutes on two cores, then the HTML report.
 */
import { resolve } from 'node:path';
import { type CompareConfig, runCompare } from './compare';
import { writeCompareReport } from './report';

/** The demo's grid. Every setting here is a regular `perturb compare` setting. */
export function demoConfig(out: string, jobs?: number): CompareConfig {
  return {
    base: {
      dataset: 'fashion-mnist-small',
      trainSize: 500,
      model: 'resnet20',
      epochs: 15,
      batchSize: 64,
      lr: 0.05,
      schedule: { name: 'onecycle' },
    },
    methods: {
      baseline: {},
      'crop+flip': { augmenters: ['randomCrop', 'horizontalFlip'] },
      'la-glow-adversarial': { augmenters: [{ latentAdversarial: { flow: 'shared' } }] },
      'a-fan': { augmenters: [{ afan: {} }] },
    },
    seeds: [0],
    trainSizes: [500],
    flow: {
      dataset: 'fashion-mnist-small',
      levels: 2,
      depth: 4,
      hidden: 32,
      epochs: 4,
      batchSize: 64,
      warmupSteps: 50,
    },
    jobs: jobs ?? 2,
    out,
  };
}

/**
 * Runs `perturb demo`: the {@link demoConfig} grid with {@link runCompare} (finished runs are
 * skipped, so a rerun resumes), then writes its report and prints the HTML's path on stdout.
 *
 * @param options.out the folder everything is written under.
 * @param options.jobs runs trained at once. Default 2.
 * @param options.bin the `perturb` executable's script, run with this Node for each child process.
 */
export async function runDemo(options: { out: string; jobs?: number; bin: string }): Promise<void> {
  const config = demoConfig(resolve(options.out), options.jobs);
  process.stderr.write(`demo: writing everything under ${config.out}\n`);
  await runCompare(config, { bin: options.bin });
  const { html } = writeCompareReport(config.out, { bin: options.bin });
  process.stdout.write(`demo: done. Open ${html} in a browser.\n`);
}
