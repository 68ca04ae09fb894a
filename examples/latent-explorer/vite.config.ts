import { defineConfig } from 'vite';

export default defineConfig({
  // Relative URLs, so the built page works from any folder of any static server.
  base: './',
  // The training worker imports modules (tfjs, perturb) like the page does.
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
});
