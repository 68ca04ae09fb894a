/**
 * The model trained and saved in Node, loaded in a real headless Chromium (Debian's `chromium`,
 * driven by playwright-core through its executable path; no browser download) with
 * `tf.loadLayersModel` over HTTP: the page's logits must be Node's, from the same saved files.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { Rng, initBackend } from '@perturb/core';
import { launchChromium, noChromium, serveFolder } from '@perturb/browser-check/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPage } from './browser/build-page';
import type { BrowserLogits, InputBatch } from './browser/page';
import { folderHandler } from './file-handler';
import { logitsModel } from './logits';
import { TINY_RUN } from './tiny-run';
import { disposeRun, runLayersModelExample } from './train';

describe.skipIf(noChromium() !== null)('the saved LayersModel in headless Chromium', () => {
  let browser: Browser;
  const folders: string[] = [];

  beforeAll(async () => {
    await initBackend({ backend: 'wasm', log: false });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    folders.forEach((folder) => rmSync(folder, { recursive: true, force: true }));
  });

  it.each(['sequential', 'functional'] as const)(
    'a %s model gives the browser the logits it gives Node',
    async (kind) => {
      const out = mkdtempSync(join(tmpdir(), 'perturb-layers-browser-'));
      folders.push(out);
      const run = await runLayersModelExample({ ...TINY_RUN, model: kind, out });
      disposeRun(run);

      // The page and its input go beside the saved model/, so the page loads model/model.json.
      const x = new Rng(1).uniformTensor([4, 28, 28, 1]) as tf.Tensor4D;
      const input: InputBatch = { shape: [4, 28, 28, 1], data: Array.from(x.dataSync()) };
      await writeFile(join(out, 'input.json'), JSON.stringify(input));
      await buildPage(out);

      const loaded = await tfl.loadLayersModel(folderHandler(run.modelFolder));
      const nodeLogits = tf.tidy(() => (logitsModel(loaded).predict(x) as tf.Tensor2D).arraySync());
      tf.dispose(x);
      loaded.dispose();

      const server = await serveFolder(out);
      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      try {
        await page.goto(server.url);
        await page.waitForFunction(() => window.__layersModel !== undefined, null, { timeout: 30_000 });
        const result = (await page.evaluate(() => window.__layersModel)) as BrowserLogits;
        expect(pageErrors).toEqual([]);
        expect(result.error).toBeNull();
        expect(result.backend).toBe('cpu');
        expect(result.logits).toHaveLength(4);
        result.logits.forEach((row, i) => {
          expect(row).toHaveLength(10);
          row.forEach((value, j) =>
            expect(Math.abs(value - nodeLogits[i][j]), `[${i}][${j}]`).toBeLessThan(1e-4),
          );
          expect(argmax(row)).toBe(argmax(nodeLogits[i]));
        });
      } finally {
        await page.close();
        await server.close();
      }
    },
  );
});

function argmax(row: number[]): number {
  return row.indexOf(Math.max(...row));
}
