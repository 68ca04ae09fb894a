/** Finding the relative links of Markdown files that point at nothing. */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { outsideFences } from './blocks';
import { REPO_ROOT } from './documents';

/** Folders that hold no hand-kept Markdown: installs, builds, caches, experiment output. */
const SKIPPED = new Set(['node_modules', 'dist', '.git', '.nx', 'runs']);

/** Every Markdown file of the repository, relative to its root (`/`-separated), sorted. */
export function markdownFiles(dir = ''): string[] {
  return readdirSync(join(REPO_ROOT, dir), { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const path = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) return SKIPPED.has(entry.name) ? [] : markdownFiles(path);
      return entry.name.endsWith('.md') ? [path] : [];
    });
}

/**
 * The targets of `markdown`'s inline links and images that are relative paths (no scheme, not
 * only an anchor), without their `#anchor`. Code is left out (fenced blocks and inline spans),
 * since a `[x](y)` there is text, not a link.
 */
export function relativeLinks(markdown: string): string[] {
  const prose = outsideFences(markdown).replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(\s*(?:<([^>\n]+)>|([^)\s]+))(?:\s+"[^"]*")?\s*\)/g)]
    .map((match) => match[1] ?? match[2])
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith('#'))
    .map((target) => decodeURI(target.split('#')[0]));
}

/** `file`'s relative links whose target does not exist, as `file -> target`. */
export function brokenLinks(file: string, markdown: string): string[] {
  return relativeLinks(markdown)
    .filter((target) => !existsSync(join(REPO_ROOT, posix.normalize(posix.join(dirname(file), target)))))
    .map((target) => `${file} -> ${target}`);
}
