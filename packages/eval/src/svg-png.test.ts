import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { barChartSvg } from './svg-chart';
import { svgToPng } from './svg-png';
import { countColors } from './test-png';

const SVG = barChartSvg(
  [
    { name: 'baseline', value: 57.2, error: 0.7 },
    { name: 'pixel-pgd', value: 61.3, error: 1.6 },
  ],
  { title: 'Test accuracy', yLabel: 'test accuracy (%)' },
);

/** Pixels darker than the chart's text colour allows for antialiasing, in rows [top, bottom). */
function darkPixels(png: Uint8Array, top: number, bottom: number): number {
  const { data, width, channels } = decode(png);
  let count = 0;
  for (let i = top * width * channels; i < bottom * width * channels; i += channels) {
    if (data[i] < 100 && data[i + 1] < 100 && data[i + 2] < 100) count += 1;
  }
  return count;
}

describe('svgToPng', () => {
  it('renders the chart at twice its size by default, with the bar colours and the text', () => {
    const { png, width, height } = svgToPng(SVG);
    const decoded = decode(png);
    expect([width, height, decoded.width, decoded.height]).toEqual([1280, 760, 1280, 760]);
    const counts = countColors(png, ['#0072b2', '#d55e00']);
    // Each bar is a solid block of tens of thousands of pixels.
    expect(counts['#0072b2']).toBeGreaterThan(10_000);
    expect(counts['#d55e00']).toBeGreaterThan(10_000);
    // The title row holds text only: glyphs drawn there prove the bundled font was found.
    expect(darkPixels(png, 0, 60)).toBeGreaterThan(200);
  });

  it('gives the same bytes for the same SVG and honours the scale', () => {
    expect(Buffer.compare(svgToPng(SVG).png, svgToPng(SVG).png)).toBe(0);
    const small = svgToPng(SVG, { scale: 1 });
    expect([small.width, small.height]).toEqual([640, 380]);
    expect(() => svgToPng(SVG, { scale: 0 })).toThrow(/not positive/);
  });
});
