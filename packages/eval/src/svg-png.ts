/**
 * Rasterizes the report's SVG charts to PNG with resvg (`@resvg/resvg-js`, a native renderer that
 * installs as a prebuilt npm package) and the DejaVu Sans font from `dejavu-fonts-ttf`, so text
 * looks the same on every machine and no system font is needed.
 */
import { createRequire } from 'node:module';
import type { Resvg as ResvgClass } from '@resvg/resvg-js';
import { PerturbError } from '@perturb/core';
import { CHART_FONT_FAMILY } from './svg-chart';

const FONT_FILES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'];

/** Options of `svgToPng`. */
export interface SvgToPngOptions {
  /** Device pixels per SVG unit: 2 gives a sharp picture on high-density screens. Default 2. */
  scale?: number;
}

// Resolved from this module so the package's own dependencies are found wherever it is installed.
const localRequire = createRequire(import.meta.url);
let renderer: { Resvg: typeof ResvgClass; fontFiles: string[] } | undefined;

/**
 * Loads resvg and finds the fonts on first use, so importing `@perturb/eval` for its metrics never
 * loads the native renderer.
 */
function loadRenderer(): { Resvg: typeof ResvgClass; fontFiles: string[] } {
  if (renderer) return renderer;
  try {
    const { Resvg } = localRequire('@resvg/resvg-js') as { Resvg: typeof ResvgClass };
    const fontFiles = FONT_FILES.map((file) => localRequire.resolve(`dejavu-fonts-ttf/ttf/${file}`));
    renderer = { Resvg, fontFiles };
    return renderer;
  } catch (error) {
    throw new PerturbError(
      `cannot load the PNG renderer @resvg/resvg-js or its font dejavu-fonts-ttf (${(error as Error).message})`,
      'reinstall @perturb/eval with optional dependencies enabled (resvg-js ships its binary as one) on a platform resvg-js supports',
    );
  }
}

/**
 * Renders an SVG document (e.g. from `lineChartSvg` or `barChartSvg`) to PNG bytes, its size
 * times `scale`, on the SVG's own background (transparent where it draws none). Text uses
 * DejaVu Sans whatever font the SVG names. The same SVG gives the same bytes.
 */
export function svgToPng(
  svg: string,
  options: SvgToPngOptions = {},
): { png: Uint8Array; width: number; height: number } {
  const scale = options.scale ?? 2;
  if (!(scale > 0)) {
    throw new PerturbError(`PNG scale ${scale} is not positive`, 'pass a scale above 0, e.g. 2');
  }
  const { Resvg, fontFiles } = loadRenderer();
  const image = new Resvg(svg, {
    font: {
      loadSystemFonts: false,
      fontFiles,
      defaultFontFamily: CHART_FONT_FAMILY,
      sansSerifFamily: CHART_FONT_FAMILY,
    },
    fitTo: { mode: 'zoom', value: scale },
    logLevel: 'off',
  }).render();
  return { png: image.asPng(), width: image.width, height: image.height };
}
