import { defineConfig } from 'tsup';

// The plugin as it is published: JavaScript that `perturb` imports (`plugins:` in a config).
export default defineConfig({
  entry: ['src/index.ts', 'src/plugin.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
