import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it, vi } from 'vitest';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const blocks = [...readFileSync(join(packageDir, 'README.md'), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map(
  (m) => m[1],
);

/** Type-checks `code` as a module of this package, with `@perturb/detection` resolved to its sources. */
function typeErrors(code: string): string[] {
  const file = join(packageDir, 'src', '__readme_example__.ts');
  const config = ts.getParsedCommandLineOfConfigFile(
    join(packageDir, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  )!;
  const options = {
    ...config.options,
    noEmit: true,
    baseUrl: packageDir,
    paths: { '@perturb/detection': ['./src/index.ts'] },
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, ...rest) =>
    name === file ? ts.createSourceFile(name, code, version) : getSourceFile(name, version, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  return ts
    .getPreEmitDiagnostics(program, program.getSourceFile(file))
    .map((d) => `${d.start ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

describe('README', () => {
  it('has a TypeScript example', () => {
    expect(blocks.length).toBeGreaterThan(0);
  });

  it.each(blocks.map((code, i) => [i, code] as const))('example %i type-checks', (_, code) => {
    expect(typeErrors(code)).toEqual([]);
  });

  it.each(blocks.map((code, i) => [i, code] as const))('example %i runs', async (i, code) => {
    const file = join(packageDir, 'src', `__readme_example_run_${process.pid}_${i}__.ts`);
    writeFileSync(file, code);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      await import(/* @vite-ignore */ file);
      const printed = log.mock.calls.map((c) => c.join(' ')).join('\n');
      // The building blocks' example ends in a perfect COCO score; the detector's prints its RoIs.
      expect(printed).toMatch(i === 0 ? /AP 1\.000, AP50 1\.000, AR@100 1\.000/ : /inference RoIs 2,50,4/);
    } finally {
      log.mockRestore();
      rmSync(file, { force: true });
    }
  });
});
