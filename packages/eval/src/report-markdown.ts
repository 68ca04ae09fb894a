/** Renders a report as Markdown; the plot and images are linked files beside it. */
import type { ReportContent, ReportTable } from './report-content';

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function markdownTable(table: ReportTable): string {
  const line = (cells: string[]) => `| ${cells.map(escapeCell).join(' | ')} |`;
  const rule = `|${table.header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`;
  return [`## ${table.title}`, '', table.caption, '', line(table.header), rule, ...table.rows.map(line)].join(
    '\n',
  );
}

/** Link target for a relative path: forward slashes, spaces and other unsafe characters encoded. */
function linkTarget(path: string): string {
  return encodeURI(path.split('\\').join('/'));
}

/** The Markdown text of `content`. */
export function renderMarkdown(content: ReportContent): string {
  const sections = [`# ${content.title}`];
  if (content.notes) sections.push(content.notes.trim());
  sections.push(...content.tables.map(markdownTable));
  sections.push(`## Plot\n\n![${content.plot.title}](${linkTarget(content.plot.relativePath)})`);
  if (content.images.length > 0) {
    sections.push(
      [
        '## Images',
        ...content.images.map(
          (image) => `### ${image.title}\n\n![${image.title}](${linkTarget(image.relativePath)})`,
        ),
      ].join('\n\n'),
    );
  }
  return sections.join('\n\n') + '\n';
}
