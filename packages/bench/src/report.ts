/**
 * The bench's results: the report of one run, its Markdown table, and how both are written —
 * whole files, or one named section of files that hold several runs (docs/results/bench.*).
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '@perturb/core/node';
import type { PeerRun } from './peers';

/** One alternation of perturb's timing and the peer's. */
export interface Round {
  perturbMs: number;
  peer1: PeerRun | null;
  peerSameThreads: PeerRun | null;
}

export interface Row {
  id: string;
  what: string;
  /** Medians over the rounds. */
  perturbMs: number;
  peer1Ms: number | null;
  peerSameThreadsMs: number | null;
  ratio1: number | null;
  ratioSameThreads: number | null;
  /**
   * perturb's own row doing the same work, timed in the same rounds, and the median of each
   * round's ratio of this row's time to its.
   */
  baseline?: { id: string; ratio: number };
  rounds: Round[];
}

export interface Report {
  date: string;
  backend: string;
  threads: number;
  rounds: number;
  node: string;
  cpus: number;
  cpuModel?: string;
  /** 1-minute load averages when the run started and ended (the machine may be shared). */
  load: { start: number; end: number };
  rows: Row[];
}

export function toMarkdown(report: Report): string {
  const ms = (v: number | null | undefined) => (v == null ? '–' : v.toFixed(0));
  const ratio = (v: number | null | undefined) => (v == null ? '–' : `${v.toFixed(2)}×`);
  const threads = report.threads === 1 ? '1 thread' : `${report.threads} threads`;
  const withBaseline = report.rows.some((r) => r.baseline);
  const lines = [
    `perturb on ${report.backend} with ${threads}, ${report.cpuModel ?? 'unknown cpu'}, ${report.date}, ` +
      `load average ${report.load.start.toFixed(1)} → ${report.load.end.toFixed(1)}` +
      (report.rounds > 1
        ? `; medians of ${report.rounds} alternating rounds (ratios: median of each round's)`
        : ''),
    '',
    `| benchmark | perturb ms/step | peer 1 thread ms | ratio | peer ${threads} ms | ratio |` +
      (withBaseline ? ' vs perturb’s own |' : ''),
    '| --- | ---: | ---: | ---: | ---: | ---: |' + (withBaseline ? ' ---: |' : ''),
    ...report.rows.map(
      (r) =>
        `| ${r.what} | ${ms(r.perturbMs)} | ${ms(r.peer1Ms)} | ${ratio(r.ratio1)} | ${ms(r.peerSameThreadsMs)} | ${ratio(r.ratioSameThreads)} |` +
        (withBaseline ? ` ${r.baseline ? `${ratio(r.baseline.ratio)} ${r.baseline.id}` : '–'} |` : ''),
    ),
    '',
  ];
  return lines.join('\n');
}

/** The markers around a named section in a Markdown file. */
function markers(section: string): [string, string] {
  return [`<!-- bench:${section} -->`, `<!-- /bench:${section} -->`];
}

/**
 * `text` with the section between `section`'s markers replaced by `content` (appended, with its
 * markers, when the file has no such section).
 */
export function replaceMarkdownSection(text: string, section: string, content: string): string {
  const [open, close] = markers(section);
  const block = `${open}\n${content.trimEnd()}\n${close}`;
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start < 0 || end < start) return `${text.trimEnd()}${text ? '\n\n' : ''}${block}\n`;
  return text.slice(0, start) + block + text.slice(end + close.length);
}

/**
 * Writes the run to `json` and `md` (each optional). Without `section` each file is the run
 * alone; with it the run replaces that section of files that keep several (a JSON object of
 * reports by section, a Markdown file with marked sections), leaving the others as they are.
 */
export function writeReport(report: Report, files: { json?: string; md?: string; section?: string }): void {
  const { json, md, section } = files;
  const markdown = toMarkdown(report);
  if (json) {
    let content: unknown = report;
    if (section) {
      const existing: unknown = existsSync(json) ? JSON.parse(readFileSync(json, 'utf8')) : {};
      if (typeof existing !== 'object' || existing === null || Array.isArray(existing)) {
        throw new Error(`${json} does not hold reports by section; give --json a new file or drop --section`);
      }
      content = { ...existing, [section]: report };
    }
    writeFileAtomic(json, JSON.stringify(content, null, 2) + '\n');
  }
  if (md) {
    const text = section
      ? replaceMarkdownSection(existsSync(md) ? readFileSync(md, 'utf8') : '', section, markdown)
      : markdown;
    writeFileAtomic(md, text);
  }
}
