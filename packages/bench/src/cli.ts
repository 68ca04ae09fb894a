#!/usr/bin/env node
/**
 * `npm run bench`: times perturb's training steps on the active backend and, when
 * /usr/bin/python3 has torch, the PyTorch peers in the same run (on 1 thread and on as many
 * threads as perturb: all cores, or PERTURB_WASM_THREADS),
 * then prints a Markdown table of ms per step and ratios.
 *
 *   npm run bench -- [--json out.json] [--md out.md] [--only resnet20,glow] [--repeats 5] [--no-peers]
 *                    [--profile]   (also prints each step's kernel-time breakdown)
 */
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initBackend, writeFileAtomic } from '@perturb/core';
import { BENCHMARKS } from './benchmarks';
import { peersDir, pythonWithTorch, runPeer, type PeerRun } from './peers';
import { kernelTable, profileStep } from './profile';
import { medianStepMs } from './timing';

interface Row {
  id: string;
  what: string;
  perturbMs: number;
  peer1: PeerRun | null;
  peerSameThreads: PeerRun | null;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'string' },
      md: { type: 'string' },
      only: { type: 'string' },
      repeats: { type: 'string', default: '5' },
      'no-peers': { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
    },
  });
  const repeats = Number(values.repeats);
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
    const perturbMs = await medianStepMs(step, { warmup: 1, repeats });
    if (values.profile)
      process.stderr.write(`bench: ${bench.id} kernel times\n${kernelTable(await profileStep(step))}`);
    dispose();
    const peerRun = (threads: number) =>
      python && peers ? runPeer(python, `${peers}/${bench.peer.script}`, bench.peer.args, threads) : null;
    rows.push({
      id: bench.id,
      what: bench.what,
      perturbMs,
      peer1: peerRun(1),
      peerSameThreads: peerRun(backend.threads),
    });
    const last = rows[rows.length - 1];
    process.stderr.write(
      `bench: ${bench.id}: ${last.perturbMs.toFixed(0)} ms (peer 1 thread ${last.peer1?.ms ?? '-'} ms)\n`,
    );
  }
  const report = {
    date: new Date().toISOString(),
    backend: backend.name,
    threads: backend.threads,
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    rows: rows.map((r) => ({
      ...r,
      ratio1: r.peer1?.ms ? r.perturbMs / r.peer1.ms : null,
      ratioSameThreads: r.peerSameThreads?.ms ? r.perturbMs / r.peerSameThreads.ms : null,
    })),
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
  rows: Array<Row & { ratio1: number | null; ratioSameThreads: number | null }>;
}): string {
  const ms = (v: number | null | undefined) => (v == null ? '–' : v.toFixed(0));
  const ratio = (v: number | null) => (v == null ? '–' : `${v.toFixed(2)}×`);
  const threads = report.threads === 1 ? '1 thread' : `${report.threads} threads`;
  const lines = [
    `perturb on ${report.backend} with ${threads}, ${report.cpuModel ?? 'unknown cpu'}, ${report.date}`,
    '',
    `| benchmark | perturb ms/step | peer 1 thread ms | ratio | peer ${threads} ms | ratio |`,
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...report.rows.map(
      (r) =>
        `| ${r.what} | ${ms(r.perturbMs)} | ${ms(r.peer1?.ms)} | ${ratio(r.ratio1)} | ${ms(r.peerSameThreads?.ms)} | ${ratio(r.ratioSameThreads)} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

main().catch((error: Error) => {
  process.stderr.write(`bench: ${error.message}\n`);
  process.exit(1);
});
