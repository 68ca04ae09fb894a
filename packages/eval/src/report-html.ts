/** Renders a report as one self-contained HTML page: inline CSS, the plot and images as base64 PNGs. */
import { escapeXml } from './escape';
import { PLOT_SCALE, type ReportContent, type ReportImageData, type ReportTable } from './report-content';

const STYLE = `
body { font-family: system-ui, sans-serif; color: #222; max-width: 1000px; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
table { border-collapse: collapse; margin: .5rem 0; font-variant-numeric: tabular-nums; }
th, td { padding: .3rem .7rem; border-bottom: 1px solid #e3e3e3; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
thead th { border-bottom: 2px solid #999; }
tbody tr:nth-child(even) { background: #f7f7f7; }
.caption { color: #555; font-size: .9rem; }
figure { margin: 1rem 0; display: inline-block; vertical-align: top; }
figcaption { color: #555; font-size: .9rem; }
img.grid { image-rendering: pixelated; border: 1px solid #ddd; }
img.plot { max-width: 100%; height: auto; }
`.trim();

/** Small image grids are drawn enlarged (whole pixels) so single images stay visible. */
const TARGET_IMAGE_WIDTH = 512;
const MAX_IMAGE_SCALE = 4;

function htmlTable(table: ReportTable): string {
  const head = `<tr>${table.header.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr>`;
  const body = table.rows
    .map((row) => `<tr>${row.map((c) => `<td>${escapeXml(c)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<h2>${escapeXml(table.title)}</h2>\n<p class="caption">${escapeXml(table.caption)}</p>\n<table>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

/** An `<img>` of `image` embedded as a data: URI, shown at `width` × `height` CSS pixels. */
function embeddedImg(image: ReportImageData, className: string, width: number, height: number): string {
  const source = `data:image/png;base64,${Buffer.from(image.png).toString('base64')}`;
  return `<img class="${className}" src="${source}" alt="${escapeXml(image.title)}" width="${width}" height="${height}">`;
}

function htmlImage(image: ReportImageData): string {
  const scale = Math.max(1, Math.min(MAX_IMAGE_SCALE, Math.floor(TARGET_IMAGE_WIDTH / image.width)));
  const img = embeddedImg(image, 'grid', image.width * scale, image.height * scale);
  return `<figure>${img}<figcaption>${escapeXml(image.title)}</figcaption></figure>`;
}

/** The plot at its drawn size: its PNG holds `PLOT_SCALE` pixels per CSS pixel. */
function htmlPlot(plot: ReportImageData): string {
  const img = embeddedImg(plot, 'plot', plot.width / PLOT_SCALE, plot.height / PLOT_SCALE);
  return `<figure>${img}</figure>`;
}

/** Notes as paragraphs: blank lines separate them. */
function htmlNotes(notes: string): string {
  return notes
    .trim()
    .split(/\n\s*\n/)
    .map((paragraph) => `<p>${escapeXml(paragraph)}</p>`)
    .join('\n');
}

/** The HTML page of `content`, needing no other file. */
export function renderHtml(content: ReportContent): string {
  const title = escapeXml(content.title);
  const parts = [
    '<!doctype html>',
    '<html lang="en">',
    `<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>${title}</title>\n<style>\n${STYLE}\n</style>\n</head>`,
    '<body>',
    `<h1>${title}</h1>`,
  ];
  if (content.notes) parts.push(htmlNotes(content.notes));
  parts.push(...content.tables.map(htmlTable));
  parts.push('<h2>Plot</h2>', htmlPlot(content.plot));
  if (content.images.length > 0) parts.push('<h2>Images</h2>', ...content.images.map(htmlImage));
  parts.push('</body>', '</html>');
  return parts.join('\n') + '\n';
}
