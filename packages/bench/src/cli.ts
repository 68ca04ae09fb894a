#!/usr/bin/env node
/**
 * `npm run bench`: times perturb's training steps on the active backend and, when
 * /usr/bin/python3 has torch, the PyTorch peers in the same run (on 1 thread and on as many
 * threads as perturb: all cores, or PERTURB_WASM_THREADS),
 * then prints a Markdown table of ms per step and ratios.
 *
 *   npm run bench -- [--json out.json] [--md out.md] [--only resnet20,glow] [--repeats 5] [--no-peers]
 *                    [--rounds 1]  (alternates perturb and peer timings n times; ratios are the
 *                                   median of each round's ratio, robust to a machine's drift)
 *                    [--section name]  (the run replaces that section of --json/--md, which keep
 *                                   several runs, instead of the whole files)
 *                    [--profile]   (also prints each step's kernel-time breakdown)
 * A row with a baseline (perturb's own model doing the same work) brings it into the run.
 */
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initBackend } from '@perturb/core';
import { BENCHMARKS, type Benchmark } from './benchmarks';
import { findPeer, pythonWithTorch, runPeer } from './peers';
import { kernelTable, profileStep } from './profile';
import { toMarkdown, writeReport, type Report, type Round, type Row } from './report';
import { median, medianStepMs } from './timing';

/** Median of the present values, or null when a round has none. */
function medianOf(values: Array<number | null | undefined>): number | null {
  return values.every((v) => typeof v === 'number') ? median(values as number[]) : null;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'string' },
      md: { type: 'string' },
      only: { type: 'string' },
      repeats: { type: 'string', default: '5' },
      rounds: { type: 'string', default: '1' },
      section: { type: 'string' },
      'no-peers': { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
    },
  });
  const repeats = Number(values.repeats);
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new Error(`--rounds ${values.rounds}: give a whole number ≥ 1`);
  const only = values.only?.split(',').map((s) => s.trim());
  const unknown = only?.filter((id) => !BENCHMARKS.some((b) => b.id === id)) ?? [];
  if (unknown.length > 0) {
    throw new Error(
      `unknown benchmark(s) ${unknown.join(', ')}; choose from ${BENCHMARKS.map((b) => b.id).join(', ')}`,
    );
  }
  const selected = selectBenchmarks(only);
  const loadAtStart = loadavg()[0];
  const backend = await initBackend();
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
  const python = values['no-peers'] ? null : pythonWithTorch();
  if (!values['no-peers'] && !python) {
    process.stderr.write('bench: no python3 with torch; timing perturb only\n');
  }
  const peerScripts = new Map<string, string | null>();
  for (const bench of python ? selected : []) {
    const script = findPeer(repoRoot, bench.peer.script);
    if (!script)
      process.stderr.write(`bench: ${bench.id}: no peer ${bench.peer.script} found; timing perturb only\n`);
    peerScripts.set(bench.id, script);
  }
  const peerRun = (bench: Benchmark, threads: number) => {
    const script = peerScripts.get(bench.id);
    return python && script ? runPeer(python, script, bench.peer.args, threads) : null;
  };
  // Every row is built first and the rounds go through all of them in turn, so a row and its
  // baseline are timed side by side in each round while the shared machine's load drifts.
  const built = selected.map((bench) => ({ bench, ...bench.build(), timed: [] as Round[] }));
  for (let round = 0; round < rounds; round++) {
    for (const { bench, step, timed } of built) {
      process.stderr.write(`bench: ${bench.id} (${bench.what}), round ${round + 1} of ${rounds} ...\n`);
      const perturbMs = await medianStepMs(step, { warmup: 1, repeats });
      const peer1 = peerRun(bench, 1);
      timed.push({
        perturbMs,
        peer1,
        peerSameThreads: backend.threads === 1 ? peer1 : peerRun(bench, backend.threads),
      });
    }
  }
  const rows: Row[] = [];
  for (const { bench, step, dispose, timed } of built) {
    if (values.profile)
      process.stderr.write(`bench: ${bench.id} kernel times\n${kernelTable(await profileStep(step))}`);
    dispose();
    const baseline = built.find((b) => b.bench.id === bench.baseline);
    rows.push(toRow(bench, timed, baseline?.timed));
  }
  const report: Report = {
    date: new Date().toISOString(),
    backend: backend.name,
    threads: backend.threads,
    rounds,
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    load: { start: loadAtStart, end: loadavg()[0] },
    rows,
  };
  process.stdout.write(toMarkdown(report));
  writeReport(report, { json: values.json, md: values.md, section: values.section });
}

/** A table row from a benchmark's rounds and, when it has a baseline, the baseline's. */
function toRow(bench: Benchmark, timed: Round[], baseline: Round[] | undefined): Row {
  const row: Row = {
    id: bench.id,
    what: bench.what,
    perturbMs: median(timed.map((r) => r.perturbMs)),
    peer1Ms: medianOf(timed.map((r) => r.peer1?.ms)),
    peerSameThreadsMs: medianOf(timed.map((r) => r.peerSameThreads?.ms)),
    ratio1: medianOf(timed.map((r) => (r.peer1?.ms ? r.perturbMs / r.peer1.ms : null))),
    ratioSameThreads: medianOf(
      timed.map((r) => (r.peerSameThreads?.ms ? r.perturbMs / r.peerSameThreads.ms : null)),
    ),
    rounds: timed,
  };
  if (bench.baseline && baseline) {
    const ratio = median(timed.map((r, i) => r.perturbMs / baseline[i].perturbMs));
    row.baseline = { id: bench.baseline, ratio };
  }
  process.stderr.write(
    `bench: ${bench.id}: ${row.perturbMs.toFixed(0)} ms (peer 1 thread ${row.peer1Ms ?? '-'} ms)\n`,
  );
  return row;
}

/** The rows `only` names (every row without it), with the baselines they name, in table order. */
function selectBenchmarks(only: string[] | undefined): Benchmark[] {
  const wanted = new Set(only ?? BENCHMARKS.map((b) => b.id));
  for (const bench of BENCHMARKS) if (wanted.has(bench.id) && bench.baseline) wanted.add(bench.baseline);
  return BENCHMARKS.filter((b) => wanted.has(b.id));
}

main().catch((error: Error) => {
  process.stderr.write(`bench: ${error.message}\n`);
  process.exit(1);
});
