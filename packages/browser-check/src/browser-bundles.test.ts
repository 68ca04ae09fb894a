import { describe, expect, it } from 'vitest';
import { LIBRARY_PACKAGES, bundleForBrowser, nodeImports } from './bundle';

describe('every library package bundles for the browser', () => {
  for (const name of LIBRARY_PACKAGES) {
    it(`@perturb/${name}, TensorFlow.js bundled in`, async () => {
      const { errors, code } = await bundleForBrowser(name, { tfjs: 'bundled' });
      expect(errors).toEqual([]);
      expect(nodeImports(code)).toEqual([]);
    });

    it(`@perturb/${name}, TensorFlow.js external`, async () => {
      const { errors, code } = await bundleForBrowser(name, { tfjs: 'external' });
      expect(errors).toEqual([]);
      expect(nodeImports(code)).toEqual([]);
    });
  }

  it('finds the Node imports it is looking for', () => {
    expect(nodeImports(`import { readFileSync } from "node:fs"; const os = require("os");`)).toEqual([
      'node:fs',
      'os',
    ]);
    expect(nodeImports(`import * as tf from "@tensorflow/tfjs-core";`)).toEqual([]);
  });
});
