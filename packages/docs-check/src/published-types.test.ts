/**
 * The published packages' types compile without `@types/node`: no package declares it, so a
 * Node type (`Buffer`, `NodeJS.*`) in a public signature would fail, or silently become `any`,
 * in a consumer's project that does not install it.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './documents';

/** Every published (not private) package's built `dist/index.d.ts`. */
function publishedTypes(): string[] {
  const packages = join(REPO_ROOT, 'packages');
  return readdirSync(packages)
    .map((dir) => join(packages, dir))
    .filter((dir) => {
      const manifest = join(dir, 'package.json');
      return existsSync(manifest) && !JSON.parse(readFileSync(manifest, 'utf8')).private;
    })
    .map((dir) => join(dir, 'dist', 'index.d.ts'));
}

describe('the published types', () => {
  it('need no @types/node', () => {
    const roots = publishedTypes();
    expect(roots.length).toBeGreaterThan(5);
    expect(roots.filter((file) => !existsSync(file))).toEqual([]);
    const program = ts.createProgram(roots, {
      noEmit: true,
      strict: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      // A browser-or-Node consumer's standard library, and no ambient @types packages at all.
      lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
      types: [],
    });
    const ours = `${sep}dist${sep}`;
    const errors = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file && d.file.fileName.includes(ours) && !d.file.fileName.includes('node_modules'))
      .map((d) => {
        const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
        return `${relative(REPO_ROOT, d.file!.fileName)}:${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
      });
    expect(errors.join('\n')).toBe('');
  });
});
