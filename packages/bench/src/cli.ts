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
 *                    [--profile]   (also prints each step's kernel-time breakdown)
 */
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initBackend } from '@perturb/core';
import { writeFileAtomic } from '@perturb/core/node';
import { BENCHMARKS } from './benchmarks';
import { peersDir, pythonWithTorch, runPeer, type PeerRun } from './peers';
import { kernelTable, profileStep } from './profile';
import { median, medianStepMs } from './timing';

/** One alternation of perturb's timing and the peer's. */
interface Round {
  perturbMs: number;
  peer1: PeerRun | null;
  peerSameThreads: PeerRun | null;
}

interface Row {
  id: string;
  what: string;
  /** Medians over the rounds. */
  perturbMs: number;
  peer1Ms: number | null;
  peerSameThreadsMs: number | null;
  ratio1: number | null;
  ratioSameThreads: number | null;
  rounds: Round[];
}

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
  const backend = await initBackend();
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
  const python = values['no-peers'] ? null : pythonWithTorch();
  const peers = python ? peersDir(repoRoot) : null;
  if (!values['no-peers'] && !(python && peers)) {
    process.stderr.write('bench: no python3 with torch or no peers folder; timing perturb only\n');
  }
  const rows: Row[] = [];
  for (const bench of BENCHMARKS.filter((b) => !only || only.includes(b.id))) {
    process.stderr.write(`bench: ${bench.id} (${bench.what}) ...\n`);
    const { step, dispose } = bench.build();
    const peerRun = (threads: number) =>
      python && peers ? runPeer(python, `${peers}/${bench.peer.script}`, bench.peer.args, threads) : null;
    const timed: Round[] = [];
    for (let round = 0; round < rounds; round++) {
      const perturbMs = await medianStepMs(step, { warmup: 1, repeats });
      const peer1 = peerRun(1);
      timed.push({
        perturbMs,
        peer1,
        peerSameThreads: backend.threads === 1 ? peer1 : peerRun(backend.threads),
      });
    }
    if (values.profile)
      process.stderr.write(`bench: ${bench.id} kernel times\n${kernelTable(await profileStep(step))}`);
    dispose();
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
    rows.push(row);
    process.stderr.write(
      `bench: ${bench.id}: ${row.perturbMs.toFixed(0)} ms (peer 1 thread ${row.peer1Ms ?? '-'} ms)\n`,
    );
  }
  const report = {
    date: new Date().toISOString(),
    backend: backend.name,
    threads: backend.threads,
    rounds,
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    rows,
  };
  const markdown = toMarkdown(report);
  process.stdout.write(markdown);
  if (values.json) writeFileAtomic(values.json, JSON.stringify(report, null, 2) + '\n');
  if (values.md) writeFileAtomic(values.md, markdown);
}

function toMarkdown(report: {
  backend: string;
  threads: number;
  date: string;
  cpuModel?: string;
  rounds: number;
  rows: Row[];
}): string {
  const ms = (v: number | null | undefined) => (v == null ? '–' : v.toFixed(0));
  const ratio = (v: number | null) => (v == null ? '–' : `${v.toFixed(2)}×`);
  const threads = report.threads === 1 ? '1 thread' : `${report.threads} threads`;
  const lines = [
    `perturb on ${report.backend} with ${threads}, ${report.cpuModel ?? 'unknown cpu'}, ${report.date}` +
      (report.rounds > 1
        ? `; medians of ${report.rounds} alternating rounds (ratios: median of each round's)`
        : ''),
    '',
    `| benchmark | perturb ms/step | peer 1 thread ms | ratio | peer ${threads} ms | ratio |`,
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...report.rows.map(
      (r) =>
        `| ${r.what} | ${ms(r.perturbMs)} | ${ms(r.peer1Ms)} | ${ratio(r.ratio1)} | ${ms(r.peerSameThreadsMs)} | ${ratio(r.ratioSameThreads)} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

main().catch((error: Error) => {
  process.stderr.write(`bench: ${error.message}\n`);
  process.exit(1);
});
