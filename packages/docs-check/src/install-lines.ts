/**
 * What a package README tells a user to install, and what its examples import: an example run
 * in an app that followed the README must find every package it imports. (In the monorepo every
 * package is there, so a missing one is only seen by users.)
 */
import type { CodeBlock } from './blocks';

/** The packages named by the README's `npm install …` lines (in any block or prose line). */
export function installedPackages(markdown: string): Set<string> {
  const names = new Set<string>();
  for (const [, args] of markdown.matchAll(/^\s*npm (?:install|i) ([^\n#]+)/gm)) {
    for (const arg of args.trim().split(/\s+/)) if (!arg.startsWith('-')) names.add(packageOf(arg));
  }
  return names;
}

/** The packages (not Node's `node:` modules, not relative paths) a block imports. */
export function importedPackages(block: CodeBlock): Set<string> {
  const names = new Set<string>();
  for (const [, specifier] of block.code.matchAll(
    /^\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]/gm,
  )) {
    if (!specifier.startsWith('.') && !specifier.startsWith('node:')) names.add(packageOf(specifier));
  }
  return names;
}

/** `@scope/name/sub` → `@scope/name`, `name/sub` → `name`, a version (`name@^1`) dropped. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? `${parts[0]}/${parts[1] ?? ''}` : parts[0];
  return name.replace(/(.)@.*$/, '$1');
}
