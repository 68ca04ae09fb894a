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
  const blocks: CodeBlock[] = [];
  for (const fenced of fencedBlocks(markdown.split(/\r?\n/))) {
    const [language = '', ...flags] = fenced.info.trim().split(/\s+/);
    if (!languages.has(language.toLowerCase())) continue;
    blocks.push({
      file,
      index: blocks.length + 1,
      line: fenced.open + 1,
      code: fenced.body.join('\n'),
      fragment: flags.includes('fragment'),
    });
  }
  return blocks;
}

/** `markdown` with every fenced block (fences included) removed: its prose, where links are links. */
export function outsideFences(markdown: string): string {
  const lines = markdown.split(/\r?\n/);
  const inside = new Set<number>();
  for (const { open, close } of fencedBlocks(lines)) for (let i = open; i <= close; i++) inside.add(i);
  return lines.filter((_, i) => !inside.has(i)).join('\n');
}

interface Fenced {
  /** Line indices (from 0) of the opening and closing fence; `close` is past the end when unclosed. */
  open: number;
  close: number;
  info: string;
  /** The lines between the fences, the opening fence's indentation removed. */
  body: string[];
}

function* fencedBlocks(lines: readonly string[]): Generator<Fenced> {
  for (let i = 0; i < lines.length; i++) {
    const opening = FENCE.exec(lines[i]);
    if (!opening) continue;
    const [, indent, fence, info] = opening;
    const body: string[] = [];
    let end = i + 1;
    // A fence closes on the same character, at least as long, and nothing after it.
    while (end < lines.length && !isClosing(lines[end], fence)) body.push(stripIndent(lines[end++], indent));
    yield { open: i, close: end, info, body };
    i = end;
  }
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
