/**
 * Writes the browser page into a folder: `index.html` and `page.js` (src/browser/page.ts with
 * TensorFlow.js bundled in by esbuild). Serve that folder with the saved `model/` and an
 * `input.json` beside them.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = fileURLToPath(new URL('.', import.meta.url));

export async function buildPage(folder: string): Promise<void> {
  await mkdir(folder, { recursive: true });
  await build({
    entryPoints: [join(here, 'page.ts')],
    outfile: join(folder, 'page.js'),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    logLevel: 'silent',
  });
  await copyFile(join(here, 'index.html'), join(folder, 'index.html'));
}
