/**
 * What the experiment scripts share: resumable runs of perturb's CLI and of the PyTorch peers,
 * each skipped when its result file already exists, and atomic writes of what they produce.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mean, sampleStd } from '@perturb/eval';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const peersDir = process.env.PERTURB_PEERS ?? join(root, '../shared/peers');

export function atomicWrite(path, text) {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

/** Mean and sample standard deviation. */
export const stats = (xs) => ({ mean: mean(xs), std: sampleStd(xs) });

/** `perturb <args>` writing `<out>/result.json`; resolves to that result (read, not rerun, when it exists). */
export function runPerturb(args, out) {
  const done = join(out, 'result.json');
  if (existsSync(done)) return Promise.resolve(JSON.parse(readFileSync(done, 'utf8')));
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(root, 'packages/cli/dist/bin.js'), ...args, '--out', out], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('exit', (code) =>
      code === 0 ? resolvePromise(JSON.parse(readFileSync(done, 'utf8'))) : reject(new Error(`perturb ${args[0]} exited ${code}`)),
    );
  });
}

/** A command whose last stdout line is a JSON result, kept in `path`; read instead of rerun when it exists. */
export function runJsonCommand(command, args, path) {
  if (existsSync(path)) return Promise.resolve(JSON.parse(readFileSync(path, 'utf8')));
  return new Promise((resolvePromise, reject) => {
    let text = '';
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (d) => (text += d));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${args[0]} exited ${code}`));
      const line = text.trim().split('\n').pop();
      atomicWrite(path, line + '\n');
      resolvePromise(JSON.parse(line));
    });
  });
}

/** A PyTorch peer script (see ../shared/peers), run through `runJsonCommand`. */
export const runPeer = (script, args, path) => runJsonCommand('/usr/bin/python3', [join(peersDir, script), ...args], path);

/** Runs `jobs` (functions returning promises) one after another; resolves to their results in order. */
export async function inSequence(jobs) {
  const results = [];
  for (const job of jobs) results.push(await job());
  return results;
}
