/** The Markdown files whose TypeScript blocks are checked. */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this file (`packages/docs-check/src/`). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const markdownIn = (dir: string): string[] =>
  existsSync(join(REPO_ROOT, dir))
    ? readdirSync(join(REPO_ROOT, dir))
        .filter((name) => name.endsWith('.md'))
        .sort()
        .map((name) => `${dir}/${name}`)
    : [];

const readmesUnder = (dir: string): string[] =>
  readdirSync(join(REPO_ROOT, dir))
    .sort()
    .map((name) => `${dir}/${name}/README.md`)
    .filter((path) => existsSync(join(REPO_ROOT, path)));

/**
 * Every document a user reads code from, relative to the repository root: the README, every
 * package's and example's README, `docs/*.md` and `docs/methods/*.md` (not the generated API
 * reference, which holds no hand-written code).
 */
export function documents(): string[] {
  return [
    ...(existsSync(join(REPO_ROOT, 'README.md')) ? ['README.md'] : []),
    ...readmesUnder('packages'),
    ...readmesUnder('examples'),
    ...markdownIn('docs'),
    ...markdownIn('docs/methods'),
  ];
}
