/**
 * Type-checking code blocks with the TypeScript compiler API, against the packages as published:
 * `@perturb/*` imports resolve through `node_modules` to each package's built `.d.ts`.
 */
import { basename, dirname, join } from 'node:path';
import ts from 'typescript';
import type { CodeBlock } from './blocks';
import { REPO_ROOT } from './documents';

/** The repository's compiler options (`tsconfig.base.json`), checking only. */
function compilerOptions(): ts.CompilerOptions {
  const path = join(REPO_ROOT, 'tsconfig.base.json');
  const { config, error } = ts.readConfigFile(path, (file) => ts.sys.readFile(file));
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, REPO_ROOT);
  return { ...options, noEmit: true, declaration: false, sourceMap: false };
}

/**
 * Where a block is compiled: a file that does not exist, beside its document, so relative imports
 * and `node_modules` resolve as they would for a reader who saved the block there.
 */
const virtualPath = (block: CodeBlock): string =>
  join(REPO_ROOT, dirname(block.file), `${basename(block.file, '.md')}.block-${block.index}.ts`);

/**
 * Compiles every block as its own module (an `export {}` is appended, so top-level `await` works
 * and no two blocks share names) in one program. Returns each block's errors as
 * `<file>:<line>: TS<code> <message>`, the line being the Markdown file's.
 */
export function typecheckBlocks(blocks: readonly CodeBlock[]): Map<CodeBlock, string[]> {
  const options = compilerOptions();
  const sources = new Map(blocks.map((block) => [virtualPath(block), `${block.code}\nexport {};\n`]));
  const host = ts.createCompilerHost(options, true);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (file) => sources.has(file) || fileExists(file);
  host.readFile = (file) => sources.get(file) ?? readFile(file);
  host.getSourceFile = (file, language, ...rest) => {
    const text = sources.get(file);
    return text === undefined
      ? getSourceFile(file, language, ...rest)
      : ts.createSourceFile(file, text, language, true);
  };
  const program = ts.createProgram([...sources.keys()], options, host);
  const global = program.getGlobalDiagnostics().concat(program.getOptionsDiagnostics());
  if (global.length > 0) throw new Error(ts.formatDiagnostics(global, host));
  return new Map(
    blocks.map((block) => {
      const source = program.getSourceFile(virtualPath(block))!;
      const diagnostics = [
        ...program.getSyntacticDiagnostics(source),
        ...program.getSemanticDiagnostics(source),
      ];
      return [block, diagnostics.map((d) => describe(block, d))];
    }),
  );
}

function describe(block: CodeBlock, diagnostic: ts.Diagnostic): string {
  const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
  // The block's first line is the one after the opening fence.
  return `${block.file}:${block.line + 1 + line}: TS${diagnostic.code} ${message}`;
}
