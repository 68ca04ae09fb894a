/**
 * Bundles a package's main entry as a browser app would get it: esbuild with `platform:
 * 'browser'` resolving `@perturb/<name>` through its package.json `exports` (so the `browser`
 * side of every condition), TensorFlow.js bundled in or left external.
 */
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The library packages (every published one but the cli, which is Node by nature). */
export const LIBRARY_PACKAGES = [
  'core',
  'optim',
  'augmenters',
  'classifiers',
  'datasets',
  'afan',
  'flows',
  'latent-flow',
  'trainer',
  'vaegan',
  'eval',
  'segmentation',
  'detection',
] as const;

/** What bundling one entry gave. */
export interface BrowserBundle {
  /** esbuild's errors, one line each (`text` and where). */
  errors: string[];
  /** What the bundle imports at run time (externals), from esbuild's metafile. */
  imports: Array<{ path: string }>;
}

/** Bundles `@perturb/<name>` for the browser; with `tfjs: 'external'` the `@tensorflow/*` imports stay imports. */
export async function bundleForBrowser(
  name: string,
  options: { tfjs: 'bundled' | 'external' },
): Promise<BrowserBundle> {
  try {
    const result = await build({
      stdin: {
        contents: `export * from '@perturb/${name}';`,
        resolveDir: fileURLToPath(new URL('.', import.meta.url)),
        loader: 'ts',
      },
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
      external: options.tfjs === 'external' ? ['@tensorflow/*'] : [],
      metafile: true,
    });
    return { errors: [], imports: Object.values(result.metafile.outputs).flatMap((o) => o.imports) };
  } catch (error) {
    const errors = (error as { errors?: Array<{ text: string; location?: { file: string } | null }> }).errors;
    if (!errors) throw error;
    return { errors: errors.map((e) => `${e.text} (${e.location?.file ?? '?'})`), imports: [] };
  }
}

/**
 * The Node built-ins the bundle still imports (`node:fs`, `os`, …), from esbuild's metafile:
 * none may be left in a browser bundle. Modules a package's `browser` field disables become
 * empty stubs and are not imports.
 */
export function nodeImports(imports: readonly { path: string }[]): string[] {
  return [...new Set(imports.map((i) => i.path).filter((path) => isNodeBuiltin(path)))];
}

function isNodeBuiltin(path: string): boolean {
  return path.startsWith('node:') || builtinModules.includes(path.split('/')[0]!);
}
