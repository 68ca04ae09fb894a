import { defineConfig } from 'tsup';

export default defineConfig({
  // index: runs anywhere; index.node: the same surface as Node loads it (threaded wasm start);
  // node: the `./node` subpath (files, run lock).
  entry: ['src/index.ts', 'src/index.node.ts', 'src/node.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
