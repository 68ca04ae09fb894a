import { defineConfig } from 'tsup';

// Only the Node script that trains the page's models; the page itself is built by Vite.
export default defineConfig({
  entry: ['scripts/train-weights.ts'],
  outDir: 'dist-node',
  format: ['esm'],
  clean: true,
  target: 'node20',
});
