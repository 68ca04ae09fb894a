import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/node.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // CJS output gets a working import.meta.url (src/embedded.ts locates the shipped data/ folder).
  shims: true,
});
