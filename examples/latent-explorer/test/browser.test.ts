/**
 * The built page in a real headless Chromium (Debian's `chromium`, driven by playwright-core
 * through its executable path; no browser download). Asserts what the page computed: the Glow
 * round trip, a strong adversarial ε changing the prediction, a training loss that decreases.
 * Saves the screenshot docs/images/latent-explorer.png.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, noChromium, serveFolder, type StaticServer } from '@perturb/browser-check/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExplorerState } from '../src/main';

const here = dirname(fileURLToPath(import.meta.url));
const distDir = join(here, '..', 'dist');
const screenshot = join(here, '..', '..', '..', 'docs', 'images', 'latent-explorer.png');
describe.skipIf(noChromium() !== null)('the latent explorer in headless Chromium', () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const read = () => page.evaluate(() => window.__explorer) as Promise<ExplorerState>;

  beforeAll(async () => {
    if (!existsSync(join(distDir, 'index.html'))) {
      throw new Error(
        `${distDir} has no built page: run \`npm run build -w examples/latent-explorer\` first`,
      );
    }
    server = await serveFolder(distDir);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(server.url);
    await page
      .waitForFunction(() => window.__explorer?.ready || window.__explorer?.error, null, { timeout: 60_000 })
      .catch((error: Error) => {
        throw new Error(`the page did not start: ${pageErrors.join('; ') || error.message}`);
      });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('starts a backend and inverts the Glow to float precision', async () => {
    const state = await read();
    expect(state.error).toBeNull();
    expect(pageErrors).toEqual([]);
    expect(['webgl', 'wasm', 'cpu']).toContain(state.backend);
    expect(await page.getAttribute('#backend', 'data-backend')).toBe(state.backend);
    expect(state.roundTripError).toBeLessThan(1e-4);
    if (state.backend !== 'webgl') expect(state.skipped.some((s) => s.startsWith('webgl: '))).toBe(true);
  });

  it('changes the prediction under a strong adversarial ε', async () => {
    await page.locator('#gallery canvas[data-correct="true"]').first().click();
    await page.locator('input[name=mode][value=adversarial]').check();
    const before = (await read()).renders;
    await page.locator('#epsilon').fill('1');
    await page.waitForFunction(
      (n) => window.__explorer.renders > n && window.__explorer.epsilon === 1,
      before,
    );
    const state = await read();
    expect(state.mode).toBe('adversarial');
    expect(state.originalClass).toBe(state.label);
    expect(state.perturbedClass).not.toBe(state.originalClass);
  });

  it('trains a classifier in the page with a loss that decreases', async () => {
    await page.locator('#steps').fill('60');
    await page.locator('#start-training').click();
    await page.waitForFunction(
      () => window.__explorer.training.testAccuracy !== null || window.__explorer.training.error !== null,
      null,
      {
        timeout: 60_000,
      },
    );
    const { training } = await read();
    expect(training.error).toBeNull();
    expect(['webgl', 'wasm', 'cpu']).toContain(training.backend);
    expect(training.losses).toHaveLength(60);
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean(training.losses.slice(-10))).toBeLessThan(mean(training.losses.slice(0, 10)));
    expect(training.testAccuracy).toBeGreaterThan(0.1);
    mkdirSync(dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
  }, 90_000);
});
