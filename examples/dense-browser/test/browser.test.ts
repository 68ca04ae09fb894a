/**
 * The built page in a real headless Chromium (Debian's, through playwright-core; skipped, saying
 * why, without one), once on wasm and once on WebGL (SwiftShader): a tiny Faster R-CNN and a tiny
 * DeepLabV3+ trained plain and with A-FAN must report finite losses, moved weights, no tensor
 * left behind by a step or by the run, scores in [0, 1] and well-formed outputs, and the two
 * backends the same losses.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, noChromium, serveFolder, type StaticServer } from '@perturb/browser-check/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../src/dense-runs';
import type { DensePageState } from '../src/page';
import { RUN_SETTINGS, SCENES } from '../src/settings';

const distDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');

describe.skipIf(noChromium() !== null)('the dense-browser page in headless Chromium', () => {
  let server: StaticServer;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(join(distDir, 'index.html'))) {
      throw new Error(`${distDir} has no built page: run \`npm run build -w examples/dense-browser\` first`);
    }
    server = await serveFolder(distDir);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  // Each backend's page runs once, whichever test asks first.
  const pageRuns = new Map<string, Promise<PageRun>>();
  const pageRun = (backend: string): Promise<PageRun> => {
    if (!pageRuns.has(backend)) pageRuns.set(backend, runPage(backend));
    return pageRuns.get(backend)!;
  };

  /** Opens the page on `backend` and waits until it has run everything (or failed). */
  async function runPage(backend: string): Promise<PageRun> {
    const page = await browser.newPage();
    // Uncaught exceptions and console errors (a file that failed to load, a WebGL error).
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    try {
      await page.goto(`${server.url}?backend=${backend}`);
      await page.waitForFunction(() => window.__dense?.done || window.__dense?.error, null, {
        timeout: 100_000,
      });
      return { state: (await page.evaluate(() => window.__dense)) as DensePageState, pageErrors };
    } finally {
      await page.close();
    }
  }

  it.each(['wasm', 'webgl'])('trains, scores and frees both dense models on %s', async (backend) => {
    const { state, pageErrors } = await pageRun(backend);
    expect(pageErrors).toEqual([]);
    expect(state.error).toBeNull();
    expect(state.backend).toBe(backend);
    expect(state.runs.map((r) => `${r.task} ${r.method}`)).toEqual([
      'detection plain',
      'detection a-fan',
      'segmentation plain',
      'segmentation a-fan',
    ]);
    state.runs.forEach((run) => checkRun(run));
  });

  it('trains to the same losses on both backends', async () => {
    const [wasm, webgl] = await Promise.all([pageRun('wasm'), pageRun('webgl')]);
    const losses = (run: PageRun) => run.state.runs.flatMap((r) => r.losses);
    expect(losses(wasm)).toHaveLength(4 * RUN_SETTINGS.steps);
    // Same seed, same scenes: float32 on either backend, so only rounding may differ.
    losses(webgl).forEach((loss, i) => expect(loss, `loss ${i}`).toBeCloseTo(losses(wasm)[i], 3));
  });
});

interface PageRun {
  state: DensePageState;
  pageErrors: string[];
}

function checkRun(run: RunReport): void {
  const which = `${run.task} ${run.method}`;
  expect(run.losses, which).toHaveLength(RUN_SETTINGS.steps);
  run.losses.forEach((loss) => expect(Number.isFinite(loss), `${which} loss ${loss}`).toBe(true));
  expect(run.weightChange, which).toBeGreaterThan(0);
  // The optimizer's slots appear at the first step; every later step must leave as many tensors.
  expect(new Set(run.tensorsAfterStep.slice(1)).size, `${which} tensors ${run.tensorsAfterStep}`).toBe(1);
  expect(run.leakedTensors, which).toBe(0);
  expect(run.score, which).toBeGreaterThanOrEqual(0);
  expect(run.score, which).toBeLessThanOrEqual(1);
  if (run.task === 'segmentation') {
    expect(run.scoreName).toBe('meanIoU');
    expect(run.outputShape).toEqual([SCENES.test, SCENES.size, SCENES.size, 11]);
    return;
  }
  expect(run.scoreName).toBe('mAP');
  expect(run.detections).toHaveLength(SCENES.test);
  for (const { boxes, scores, classes } of run.detections) {
    expect(boxes).toHaveLength(4 * scores.length);
    expect(classes).toHaveLength(scores.length);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    scores.forEach((s) => expect(s > 0 && s <= 1, `score ${s}`).toBe(true));
    classes.forEach((c) => expect(c >= 0 && c < 10 && Number.isInteger(c), `class ${c}`).toBe(true));
    boxes.forEach((v) => expect(v >= 0 && v <= SCENES.size, `box coordinate ${v}`).toBe(true));
  }
}
