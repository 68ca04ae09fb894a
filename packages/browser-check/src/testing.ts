/**
 * `@perturb/browser-check/testing`: what the examples' real-browser tests share — Debian's
 * Chromium (or the one-line reason to skip) and a static server for their built pages.
 */
export { chromiumPath, launchChromium, noChromium } from './chromium';
export { serveFolder } from './static-server';
export type { StaticServer } from './static-server';
