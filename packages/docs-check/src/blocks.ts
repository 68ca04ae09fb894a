/** Finding the fenced code blocks of a Markdown file, by language. */

/** A fenced code block of a Markdown file. */
export interface CodeBlock {
  /** The Markdown file, relative to the repository root (`/`-separated). */
  readonly file: string;
  /**
   * Which block of its language the file's is, from 1 (TypeScript blocks and YAML blocks count
   * separately): stable while the prose around it changes.
   */
  readonly index: number;
  /** The line of the opening fence, from 1. */
  readonly line: number;
  readonly code: string;
  /**
   * Marked ```` ```ts fragment ```` (or ```` ```yaml fragment ````): deliberately not a whole
   * program or config (e.g. an interface written with elided types to show a shape, or a config's
   * one section), so not checked.
   */
  readonly fragment: boolean;
}

/** An opening fence: up to three spaces, three or more backticks or tildes, then the info string. */
const FENCE = /^( {0,3})(`{3,}|~{3,})\s*([^`]*)$/;
const TYPESCRIPT = new Set(['ts', 'typescript', 'tsx']);
const YAML = new Set(['yaml', 'yml']);

/** `file`'s `ts`/`typescript` blocks (the fence's first word), in order. */
export function typescriptBlocks(file: string, markdown: string): CodeBlock[] {
  return blocksIn(file, markdown, TYPESCRIPT);
}

/** `file`'s `yaml`/`yml` blocks, in order. */
export function yamlBlocks(file: string, markdown: string): CodeBlock[] {
  return blocksIn(file, markdown, YAML);
}

/** `file`'s blocks whose fence's first word is one of `languages` (lower case), in order. */
function blocksIn(file: string, markdown: string, languages: ReadonlySet<string>): CodeBlock[] {
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
    if (languages.has(language.toLowerCase())) {
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
