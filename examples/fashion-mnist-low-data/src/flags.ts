/** Command-line flags of `npm run main` → experiment options. */
import { parseArgs } from 'node:util';
import { type BackendName, PerturbError } from '@perturb/core';
import { DEFAULT_OPTIONS, type DatasetChoice, type LowDataOverrides, type Method } from './options';

const d = DEFAULT_OPTIONS;

/** Shown by `--help`. */
export const USAGE = `Usage: npm run main -w perturb-example-fashion-mnist-low-data -- [flags]

Trains a Glow, then one classifier per method and seed on a low-data Fashion-MNIST subset,
evaluates them and writes report.md, report.html and results.json.

  --out <dir>            output folder (default ${d.out})
  --dataset <name>       auto | fashion-mnist | fashion-mnist-small (default ${d.dataset})
  --train-size <n>       training images, balanced over classes (default ${d.trainSize})
  --test-size <n>        test images, balanced over classes (default ${d.testSize})
  --model <name>         classifier (default ${d.model})
  --afan-site <site>     feature site A-FAN attacks (default ${d.afanSite})
  --epochs <n>           classifier epochs (default ${d.epochs})
  --batch-size <n>       classifier batch size (default ${d.batchSize})
  --lr <lr>              peak learning rate (default ${d.lr})
  --seeds <list>         comma-separated seeds (default ${d.seeds.join(',')})
  --methods <list>       comma-separated, from ${d.methods.join(', ')} (default all)
  --flow-levels <n>      Glow levels (default ${d.flow.levels})
  --flow-steps <n>       Glow steps per level (default ${d.flow.steps})
  --flow-hidden <n>      Glow coupling width (default ${d.flow.hidden})
  --flow-epochs <n>      Glow epochs (default ${d.flow.epochs})
  --flow-batch-size <n>  Glow batch size (default ${d.flow.batchSize})
  --backend <name>       force tensorflow-gpu | tensorflow | wasm | cpu
  --quiet                no progress bars
  --help                 this text
`;

const STRING_FLAGS = [
  'out',
  'dataset',
  'model',
  'afan-site',
  'seeds',
  'methods',
  'backend',
  'train-size',
  'test-size',
  'epochs',
  'batch-size',
  'lr',
  'flow-levels',
  'flow-steps',
  'flow-hidden',
  'flow-epochs',
  'flow-batch-size',
] as const;

/** The flags in `argv` as option overrides (validated later by `resolveOptions`), or `'help'`. */
export function parseFlags(argv: readonly string[]): LowDataOverrides | 'help' {
  let values: Partial<Record<(typeof STRING_FLAGS)[number], string>> & { quiet?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        ...Object.fromEntries(STRING_FLAGS.map((flag) => [flag, { type: 'string' as const }])),
        quiet: { type: 'boolean' },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new PerturbError((error as Error).message, 'see --help for the flags');
  }
  if (values.help) return 'help';
  const number = (flag: (typeof STRING_FLAGS)[number]) => {
    const text = values[flag];
    if (text === undefined) return undefined;
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value)) {
      throw new PerturbError(`--${flag} is "${text}", not a number`, `pass a number, e.g. --${flag} 10`);
    }
    return value;
  };
  const list = (text: string | undefined) =>
    text
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  return {
    out: values.out,
    dataset: values.dataset as DatasetChoice | undefined,
    trainSize: number('train-size'),
    testSize: number('test-size'),
    model: values.model,
    afanSite: values['afan-site'],
    epochs: number('epochs'),
    batchSize: number('batch-size'),
    lr: number('lr'),
    seeds: list(values.seeds)?.map(Number),
    methods: list(values.methods) as Method[] | undefined,
    flow: {
      levels: number('flow-levels'),
      steps: number('flow-steps'),
      hidden: number('flow-hidden'),
      epochs: number('flow-epochs'),
      batchSize: number('flow-batch-size'),
    },
    backend: values.backend as BackendName | undefined,
    progress: values.quiet ? false : undefined,
  };
}
