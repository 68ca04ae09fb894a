import { describe, expect, it } from 'vitest';
import { barChartSvg, lineChartSvg, niceTicks, paletteColor } from './svg-chart';

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

  it('draws bars with error bars and value labels, from zero when the data reach it', () => {
    const svg = barChartSvg(
      [
        { name: 'x', value: 4, error: 5 },
        { name: 'y', value: 6 },
      ],
      { yLabel: 'acc' },
    );
    expectWellFormed(svg);
    expect(svg.match(/<rect [^>]*fill="#(0072B2|D55E00)"/g)).toHaveLength(2);
    expect(svg.match(/<path d="M/g)).toHaveLength(1); // only x has an error
    expect(svg).toContain('>4.00 ± 5.00</text>');
    expect(svg).toContain('>6.00</text>');
    expect(svg).toContain('>0</text>');
    expect(svg).not.toContain('axis-break');
    expect(svg).not.toContain('rotate(-30');
  });

  it("spans the y axis over the data's range with a break mark, and takes each bar's colour", () => {
    const bars = [
      { name: 'baseline', value: 81.84, error: 3.01, color: '#123456' },
      { name: 'la-glow', value: 84.35, error: 2.23, color: '#abcdef' },
    ];
    const svg = barChartSvg(bars, { yLabel: 'acc' });
    expectWellFormed(svg);
    const tickLabels = [...svg.matchAll(/text-anchor="end"[^>]*>([\d.]+)<\/text>/g)].map((m) => Number(m[1]));
    // 78.83 … 86.58 padded by 5% (78.44 … 86.97) in steps of 2: ticks from 78 to 88, nowhere near 0.
    expect(Math.min(...tickLabels)).toBe(78);
    expect(Math.max(...tickLabels)).toBe(88);
    expect(svg.match(/<rect [^>]*fill="#123456"/g)).toHaveLength(1);
    expect(svg.match(/<rect [^>]*fill="#abcdef"/g)).toHaveLength(1);
    // The bars rise from the axis' floor, which is marked as a break.
    const axisBottom = Number(
      /<line x1="64" y1="([\d.]+)" x2="[\d.]+" y2="\1" stroke="#333"\/>/.exec(svg)![1],
    );
    for (const bar of svg.matchAll(
      /<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)" fill="#(123456|abcdef)"/g,
    ))
      expect(Number(bar[1]) + Number(bar[2])).toBeCloseTo(axisBottom, 0);
    expect(svg.match(/class="axis-break"/g)).toHaveLength(2);
    // The break is drawn after (over) the y axis line.
    expect(svg.indexOf('axis-break')).toBeGreaterThan(svg.indexOf('<line x1="64" y1="'));
  });

  it('gives lines their own colours, and the palette by position otherwise', () => {
    const svg = lineChartSvg([
      {
        name: 'a',
        color: '#111111',
        points: [
          { x: 1, y: 80, error: 1 },
          { x: 2, y: 82 },
        ],
      },
      {
        name: 'b',
        points: [
          { x: 1, y: 81 },
          { x: 2, y: 83 },
        ],
      },
    ]);
    expect(svg).toMatch(/<polyline fill="none" stroke="#111111"/);
    expect(svg).toMatch(/<polyline fill="none" stroke="#D55E00"/);
    expect(paletteColor(1)).toBe('#D55E00');
    expect(paletteColor(16)).toBe(paletteColor(0));
    expect(new Set(Array.from({ length: 16 }, (_, i) => paletteColor(i))).size).toBe(16);
  });

  it('slants bar names that would not fit side by side', () => {
    const bars = ['a-rather-long-method-name', 'another-long-method-name', 'third-long-method-name'].map(
      (name) => ({ name, value: 50 }),
    );
    expect(barChartSvg(bars, { width: 400 })).toContain('rotate(-30');
  });
});
