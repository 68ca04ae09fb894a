/**
 * Bundles a package's main entry as a browser app would get it: esbuild with `platform:
 * 'browser'` resolving `@perturb/<name>` through its package.json `exports` (so the `browser`
 * side of every condition), TensorFlow.js bundled in or left external.
 */
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
  /** The bundled code (empty when there were errors). */
  code: string;
}

/** Bundles `@perturb/<name>` for the browser; with `tfjs: 'external'` the `@tensorflow/*` imports stay imports. */
export async function bundleForBrowser(
  name: string,
  options: { tfjs: 'bundled' | 'external'; format?: 'esm' | 'iife' },
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
      format: options.format ?? 'esm',
      write: false,
      logLevel: 'silent',
      external: options.tfjs === 'external' ? ['@tensorflow/*'] : [],
    });
    return { errors: [], code: result.outputFiles[0]!.text };
  } catch (error) {
    const errors = (error as { errors?: Array<{ text: string; location?: { file: string } | null }> }).errors;
    if (!errors) throw error;
    return { errors: errors.map((e) => `${e.text} (${e.location?.file ?? '?'})`), code: '' };
  }
}

/**
 * The Node built-ins the code imports or requires (`node:fs`, `require("os")`, …): none may be
 * left in a browser bundle. Modules a package's `browser` field disables become empty stubs and
 * are not counted.
 */
export function nodeImports(code: string): string[] {
  const builtins =
    'fs|fs/promises|path|os|url|module|worker_threads|child_process|zlib|stream|crypto|util|assert|timers/promises';
  const patterns = [
    /(?:from|import)\s*\(?\s*["'](node:[^"']+)["']/g,
    new RegExp(`require\\(\\s*["']((?:node:)?(?:${builtins}))["']\\s*\\)`, 'g'),
  ];
  return [...new Set(patterns.flatMap((p) => [...code.matchAll(p)].map((m) => m[1]!)))];
}
