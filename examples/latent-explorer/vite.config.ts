import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// TEMPORARY (see stubs/node-builtins.ts): remove when i16-browser has split datasets and flows.
const nodeStub = fileURLToPath(new URL('./stubs/node-builtins.ts', import.meta.url));
const nodeStubs = Object.fromEntries(
  ['os', 'path', 'url'].flatMap((m) => [
    [m, nodeStub],
    [`node:${m}`, nodeStub],
  ]),
);

export default defineConfig({
  // Relative URLs, so the built page works from any folder of any static server.
  base: './',
  resolve: { alias: nodeStubs },
  // The training worker imports modules (tfjs, perturb) like the page does.
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
});
