import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/node.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // CJS output gets a working import.meta.url (src/svg-png.ts resolves resvg and its font from it).
  shims: true,
});
