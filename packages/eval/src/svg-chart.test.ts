import { describe, expect, it } from 'vitest';
import { barChartSvg, lineChartSvg, niceTicks } from './svg-chart';

/** Every opened element is closed and no element repeats an attribute: enough to be well-formed here. */
function expectWellFormed(svg: string): void {
  for (const tag of ['svg', 'text']) {
    expect(svg.split(`<${tag}`).length).toBe(svg.split(`</${tag}>`).length);
  }
  for (const element of svg.match(/<[a-z]+ [^>]*>/g) ?? []) {
    const names = [...element.matchAll(/ ([a-z-]+)="/g)].map((m) => m[1]);
    expect(new Set(names).size).toBe(names.length);
  }
}

describe('svg charts', () => {
  it('picks round ticks that cover the range', () => {
    expect(niceTicks(0, 10)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(55.3, 66.1)).toEqual([55, 60, 65, 70]);
    expect(niceTicks(0.1, 0.3)).toEqual([0.1, 0.15, 0.2, 0.25, 0.3]);
    expect(niceTicks(3, 3)).toEqual([3]);
  });

  it('draws lines with ± bands where points have errors, ticks at the data x and a legend, escaping text', () => {
    const svg = lineChartSvg(
      [
        {
          name: 'a<b',
          points: [
            { x: 100, y: 50, error: 2 },
            { x: 1000, y: 70 },
          ],
        },
        {
          name: 'c',
          points: [
            { x: 100, y: 55 },
            { x: 1000, y: 75, error: 1 },
          ],
        },
      ],
      { title: 'T', xLabel: 'n', yLabel: 'acc', logX: true },
    );
    expectWellFormed(svg);
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg.match(/<polygon /g)).toHaveLength(2); // one band per series with an error
    expect(svg).not.toContain('<path'); // no error bars on lines
    expect(svg).toContain('>a&lt;b</text>');
    expect(svg).toContain('>1000</text>');
  });

  it('draws bars from zero with error bars and value labels', () => {
    const svg = barChartSvg(
      [
        { name: 'x', value: 40, error: 5 },
        { name: 'y', value: 60 },
      ],
      { yLabel: 'acc' },
    );
    expectWellFormed(svg);
    expect(svg.match(/<rect [^>]*fill="#(0072B2|D55E00)"/g)).toHaveLength(2);
    expect(svg.match(/<path d="M/g)).toHaveLength(1); // only x has an error
    expect(svg).toContain('>40.0 ± 5.0</text>');
    expect(svg).toContain('>60.0</text>');
    expect(svg).toContain('>0</text>');
    expect(svg).not.toContain('rotate(-30');
  });

  it('slants bar names that would not fit side by side', () => {
    const bars = ['a-rather-long-method-name', 'another-long-method-name', 'third-long-method-name'].map(
      (name) => ({ name, value: 50 }),
    );
    expect(barChartSvg(bars, { width: 400 })).toContain('rotate(-30');
  });
});
