import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { defineConfig } from 'tsup';

const require = createRequire(import.meta.url);
/** A package's folder, found through its package.json (the only file every package exports). */
const packageDir = (name: string) => dirname(require.resolve(`${name}/package.json`));

/** Copies the files of `from` whose names pass `keep` into `to`. */
async function copyFiles(from: string, to: string, keep: (name: string) => boolean): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const name of (await readdir(from)).filter(keep)) await copyFile(join(from, name), join(to, name));
}

// The page for the browser: esbuild bundles src/page.ts with TensorFlow.js and the perturb
// libraries' main entries; public/index.html is copied beside it, and so are what the page
// fetches at run time: tfjs-backend-wasm's binaries (the page points `setWasmPaths` at its own
// folder) and the Fashion-MNIST subset @perturb/datasets embeds (the garments of the scenes).
export default defineConfig({
  entry: { page: 'src/page.ts' },
  outDir: 'dist',
  format: ['esm'],
  platform: 'browser',
  target: 'es2022',
  noExternal: [/.*/],
  publicDir: 'public',
  minify: true,
  clean: true,
  async onSuccess() {
    await copyFiles(join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist'), 'dist', (name) =>
      name.endsWith('.wasm'),
    );
    await copyFiles(
      join(packageDir('@perturb/datasets'), 'data', 'fashion-mnist-small'),
      'dist/data',
      () => true,
    );
  },
});
