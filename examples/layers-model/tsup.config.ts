import { defineConfig } from 'tsup';

// `npm run main` runs the bundled script; the perturb packages stay external, as in a user's project.
export default defineConfig({
  entry: ['src/main.ts'],
  format: ['esm'],
  sourcemap: true,
  clean: true,
  target: 'node20',
});
