/**
 * Debian's Chromium for the browser tests, driven by playwright-core through its executable
 * path: no browser is ever downloaded. Without one the tests are skipped, saying why.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Where the tests look for Chromium: `CHROMIUM_PATH`, else Debian's `/usr/bin/chromium`. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Why the browser tests cannot run here (one line, warned once when first asked), or null when
 * Chromium is there. Pass it to `describe.skipIf(noChromium() !== null)`.
 */
export function noChromium(): string | null {
  if (existsSync(chromiumPath)) return null;
  if (!warned) {
    warned = true;
    console.warn(
      `skipping the browser tests: no Chromium at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_PATH)`,
    );
  }
  return `no Chromium at ${chromiumPath}`;
}
let warned = false;

/**
 * Starts headless Chromium. Containers have no user namespaces for its sandbox, so it runs
 * without; SwiftShader (`--enable-unsafe-swiftshader`) gives WebGL on a machine with no GPU.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--headless=new', '--enable-unsafe-swiftshader'],
  });
}
