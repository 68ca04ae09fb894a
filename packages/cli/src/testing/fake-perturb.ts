/** A stand-in for the `perturb` script, for tests of what runs children (compare, worker). */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * A stand-in for the `perturb` script: `<command> --config <file> [flags]` appends the command
 * and the output folder to a log (its flags to another, its PERTURB_WASM_THREADS to a third, its
 * folder and CUDA_VISIBLE_DEVICES to a fourth) and writes result.json, or fails for seed 13 on its first attempt, as a killed run
 * would.
 */
export function fakeBin(dir: string): string {
  // The script lives in a temp folder without node_modules, so it imports yaml by URL.
  const yamlUrl = pathToFileURL(createRequire(import.meta.url).resolve('yaml')).href;
  const path = join(dir, 'fake-perturb.mjs');
  writeFileSync(
    path,
    `import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from ${JSON.stringify(yamlUrl)};
const config = parse(readFileSync(process.argv[4], 'utf8'));
appendFileSync(${JSON.stringify(join(dir, 'calls.log'))}, process.argv[2] + ' ' + config.out + '\\n');
appendFileSync(${JSON.stringify(join(dir, 'flags.log'))}, process.argv.slice(5).join(' ') + '\\n');
appendFileSync(${JSON.stringify(join(dir, 'threads.log'))}, process.env.PERTURB_WASM_THREADS + '\\n');
appendFileSync(${JSON.stringify(join(dir, 'devices.log'))}, config.out + ' ' + process.env.CUDA_VISIBLE_DEVICES + '\\n');
const marker = join(config.out, 'attempted');
if (config.seed === 13 && !existsSync(marker)) { writeFileSync(marker, ''); process.exit(1); }
writeFileSync(join(config.out, 'result.json'), JSON.stringify({ config, testAccuracy: 0.5, seconds: 1 }));
`,
  );
  return path;
}
