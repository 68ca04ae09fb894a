import { describe, expect, it } from 'vitest';
import { LIBRARY_PACKAGES, bundleForBrowser, nodeImports } from './bundle';

describe('every library package bundles for the browser', () => {
  for (const name of LIBRARY_PACKAGES) {
    it(`@perturb/${name}, TensorFlow.js bundled in`, async () => {
      const { errors, imports } = await bundleForBrowser(name, { tfjs: 'bundled' });
      expect(errors).toEqual([]);
      expect(nodeImports(imports)).toEqual([]);
    });

    it(`@perturb/${name}, TensorFlow.js external`, async () => {
      const { errors, imports } = await bundleForBrowser(name, { tfjs: 'external' });
      expect(errors).toEqual([]);
      expect(nodeImports(imports)).toEqual([]);
    });
  }

  it('tells Node built-ins from other imports', () => {
    const imports = [
      { path: 'node:fs' },
      { path: 'os' },
      { path: 'fs/promises' },
      { path: '@tensorflow/tfjs-core' },
    ];
    expect(nodeImports(imports)).toEqual(['node:fs', 'os', 'fs/promises']);
  });
});
