import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const checkDir = join(packageDir, '.readme-check');
afterAll(() => rmSync(checkDir, { recursive: true, force: true }));

/** The README's TypeScript blocks, each as its own module. */
function readmeBlocks(): string[] {
  const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
  return [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
}

describe('README', () => {
  it('has TypeScript examples that type-check against the sources', { timeout: 300_000 }, () => {
    const blocks = readmeBlocks();
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    mkdirSync(checkDir, { recursive: true });
    const files = blocks.map((code, i) => {
      const file = join(checkDir, `block${i}.ts`);
      writeFileSync(file, `${code}\nexport {};\n`);
      return file;
    });
    // Sibling packages through their built declarations when present (much faster), else sources.
    const src = (name: string, entry = 'index') => {
      const built = join(packageDir, '..', name, 'dist', `${entry}.d.ts`);
      return [existsSync(built) ? built : join(packageDir, '..', name, 'src', `${entry}.ts`)];
    };
    const program = ts.createProgram(files, {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ['lib.es2023.d.ts'],
      types: ['node'],
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      esModuleInterop: true,
      resolveJsonModule: true,
      paths: {
        '@perturb/segmentation': [join(packageDir, 'src', 'index.ts')],
        '@perturb/segmentation/node': [join(packageDir, 'src', 'node.ts')],
        '@perturb/core': src('core'),
        '@perturb/core/node': src('core', 'node'),
        '@perturb/datasets': src('datasets'),
        '@perturb/datasets/node': src('datasets', 'node'),
      },
    });
    const errors = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file && files.includes(d.file.fileName))
      .map((d) => {
        const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
        return `${d.file!.fileName.slice(checkDir.length + 1)}:${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      });
    expect(errors).toEqual([]);
  });
});
