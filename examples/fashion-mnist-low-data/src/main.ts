#!/usr/bin/env node
/** `npm run main`: the experiment from the command line; prints a summary and the report's path. */
import { PerturbError } from '@perturb/core';
import { runLowDataExperiment } from './experiment';
import { USAGE, parseFlags } from './flags';

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  if (flags === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  const { result, files } = await runLowDataExperiment(flags);
  for (const run of result.runs) {
    const accuracy = (100 * run.accuracy).toFixed(2).padStart(6);
    process.stdout.write(`${run.method.padEnd(20)} seed ${run.seed}  test accuracy ${accuracy}%\n`);
  }
  process.stdout.write(`report: ${files.html}\n`);
}

main().catch((error: unknown) => {
  if (error instanceof PerturbError) {
    process.stderr.write(`fashion-mnist-low-data: ${error.message}\n`);
    process.exit(2);
  }
  throw error;
});
