import { defineConfig } from 'tsup';

const common = {
  entry: ['src/index.ts', 'src/node.ts'],
  dts: true,
  sourcemap: true,
  target: 'node20',
} as const;

export default defineConfig([
  // No shims in ESM: tsup's ESM shim imports `path` and `url` into every chunk, which would put
  // Node modules into the main entry a browser bundles.
  { ...common, format: ['esm'], clean: true },
  // CJS output gets a working import.meta.url (src/embedded.ts locates the shipped data/ folder).
  { ...common, format: ['cjs'], shims: true },
]);
