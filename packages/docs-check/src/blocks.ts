/** Finding the TypeScript code blocks of a Markdown file. */

/** A fenced TypeScript block of a Markdown file. */
export interface CodeBlock {
  /** The Markdown file, relative to the repository root (`/`-separated). */
  readonly file: string;
  /** Which TypeScript block of the file it is, from 1: stable while the prose around it changes. */
  readonly index: number;
  /** The line of the opening fence, from 1. */
  readonly line: number;
  readonly code: string;
  /**
   * Marked ```` ```ts fragment ````: deliberately not a whole program (e.g. an interface written
   * with elided types to show a shape), so not type-checked.
   */
  readonly fragment: boolean;
}

/** An opening fence: up to three spaces, three or more backticks or tildes, then the info string. */
const FENCE = /^( {0,3})(`{3,}|~{3,})\s*([^`]*)$/;
const TYPESCRIPT = new Set(['ts', 'typescript', 'tsx']);

/** `file`'s `ts`/`typescript` blocks (the fence's first word), in order. */
export function typescriptBlocks(file: string, markdown: string): CodeBlock[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, info] = open;
    const [language = '', ...flags] = info.trim().split(/\s+/);
    const body: string[] = [];
    let end = i + 1;
    // A fence closes on the same character, at least as long, and nothing after it.
    while (end < lines.length && !isClosing(lines[end], fence)) body.push(stripIndent(lines[end++], indent));
    if (TYPESCRIPT.has(language.toLowerCase())) {
      blocks.push({
        file,
        index: blocks.length + 1,
        line: i + 1,
        code: body.join('\n'),
        fragment: flags.includes('fragment'),
      });
    }
    i = end;
  }
  return blocks;
}

function isClosing(line: string, fence: string): boolean {
  const trimmed = line.trim();
  return trimmed.length >= fence.length && trimmed === fence[0].repeat(trimmed.length);
}

function stripIndent(line: string, indent: string): string {
  let n = 0;
  while (n < indent.length && line[n] === ' ') n++;
  return line.slice(n);
}
