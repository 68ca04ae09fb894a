/** `writeReport`: tables, a PNG plot and image grids of a multi-seed experiment as Markdown and HTML. */
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { decode } from 'fast-png';
import { PerturbError } from '@perturb/core';
import { writeFileAtomic } from '@perturb/core/node';
import { type AggregateRow, type RunRecord, aggregateRuns } from './aggregate';
import type { ReportProvenance } from './provenance';
import {
  type ReportImageData,
  type ReportTable,
  accuracyPlot,
  provenanceTable,
  reportTables,
} from './report-content';
import { renderHtml } from './report-html';
import { renderMarkdown } from './report-markdown';

/** A PNG shown in the report's image section. */
export interface ReportImage {
  title: string;
  /** Path of a PNG file, e.g. one written by `writeImageGrid` from `@perturb/core`. */
  path: string;
}

/** Options of `writeReport`. */
export interface ReportOptions {
  /** Heading of the report. */
  title: string;
  /** The runs, e.g. from `readRunResults`. */
  records: readonly RunRecord[];
  /** The method every other method is compared with; must have runs. */
  baseline: string;
  /** PNG images (e.g. augmented-sample grids) to show. Default none. */
  images?: readonly ReportImage[];
  /**
   * Free text under the title (Markdown in report.md, escaped paragraphs in report.html, so no
   * Markdown syntax: give tables as `tables`). Default none.
   */
  notes?: string;
  /**
   * Further tables after the comparison's (e.g. a segmentation run's pixel accuracy), rendered
   * as tables in both formats. Default none.
   */
  tables?: readonly ReportTable[];
  /** What the records' score is, in titles and headers (e.g. `'mean IoU'`). Default `'accuracy'`. */
  metric?: string;
  /**
   * The methods' order in the tables and the charts, e.g. the config's; it also gives each
   * method its colour. Default: the baseline, then in order of first appearance.
   */
  methodOrder?: readonly string[];
  /** Where the numbers come from, shown as the first table. Default none. */
  provenance?: ReportProvenance;
}

/** Paths of the written files, and the aggregated rows the tables show. */
export interface ReportFiles {
  markdown: string;
  html: string;
  /** The accuracy plot `accuracy.png` (also embedded in the HTML). */
  plot: string;
  rows: AggregateRow[];
}

function loadImage(dir: string, image: ReportImage): ReportImageData {
  let png: Buffer;
  let size: { width: number; height: number };
  try {
    png = readFileSync(image.path);
    size = decode(png);
  } catch (error) {
    throw new PerturbError(
      `cannot read the PNG image ${image.path} (${(error as Error).message})`,
      'pass the path of an existing PNG file',
    );
  }
  return {
    title: image.title,
    relativePath: relative(resolve(dir), resolve(image.path)),
    png,
    width: size.width,
    height: size.height,
  };
}

/**
 * Aggregates `records` over seeds and writes `report.md`, a self-contained `report.html` and the
 * plot `accuracy.png` into `dir` (created if needed), each atomically.
 */
export function writeReport(dir: string, options: ReportOptions): ReportFiles {
  if (options.records.length === 0)
    throw new PerturbError('there are no runs to report', 'pass the records of at least one run');
  const rows = aggregateRuns(options.records, {
    baseline: options.baseline,
    methodOrder: options.methodOrder,
  });
  const content = {
    title: options.title,
    notes: options.notes,
    tables: [
      ...(options.provenance ? [provenanceTable(options.provenance)] : []),
      ...reportTables(rows, options.baseline, options.metric),
      ...(options.tables ?? []),
    ],
    plot: accuracyPlot(rows, options.metric),
    images: (options.images ?? []).map((image) => loadImage(dir, image)),
  };
  const files = {
    markdown: join(dir, 'report.md'),
    html: join(dir, 'report.html'),
    plot: join(dir, content.plot.relativePath),
    rows,
  };
  writeFileAtomic(files.plot, content.plot.png);
  writeFileAtomic(files.markdown, renderMarkdown(content));
  writeFileAtomic(files.html, renderHtml(content));
  return files;
}
