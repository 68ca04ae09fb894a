import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode, encode } from 'fast-png';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeReport } from './report';
import { countColors } from './test-png';
import { RECORDS } from './test-records';

/** The colours of the first two methods in the plots. */
const METHOD_COLORS = ['#0072b2', '#d55e00'];

/** The base64 payloads of every embedded PNG in `html`, in page order. */
function embeddedPngs(html: string): Buffer[] {
  return [...html.matchAll(/src="data:image\/png;base64,([^"]+)"/g)].map((m) => Buffer.from(m[1], 'base64'));
}

/** A 2×3 PNG with a known first pixel. */
function writePng(path: string): void {
  const data = new Uint8Array(2 * 3 * 4).fill(255);
  data[0] = 200;
  writeFileSync(path, encode({ width: 2, height: 3, data, channels: 4, depth: 8 }));
}

describe('writeReport', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'perturb-eval-report-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes Markdown, self-contained HTML with the numbers, a PNG line plot and embedded images', () => {
    const gridPath = join(dir, 'samples grid.png');
    writePng(gridPath);
    const files = writeReport(join(dir, 'report'), {
      title: 'Low-data <Fashion-MNIST>',
      records: RECORDS,
      baseline: 'baseline',
      images: [{ title: 'PGD samples', path: gridPath }],
      notes: 'ResNet-20, 30 epochs.',
      provenance: { commit: 'abc1234', configHash: 'sha256:feed', date: '2026-12-05', backend: 'wasm' },
    });
    const markdown = readFileSync(files.markdown, 'utf8');
    const html = readFileSync(files.html, 'utf8');
    for (const text of [markdown, html]) {
      expect(text).toContain('61.33 ± 3.98'); // pixel-pgd at 100: mean ± half the 95% t interval, in %
      expect(text).toContain('[57.35, 65.32]'); // the interval itself
      expect(text).toContain('1.60'); // its std, in the details
      expect(text).toContain('+7.16%'); // vs baseline
      expect(text).toContain('0.091'); // paired p-value
      expect(text).toContain('30.0 s'); // mean time per run
      expect(text).toContain('ResNet-20, 30 epochs.');
    }
    expect(markdown).toContain('| pixel-pgd | 61.33 ± 3.98 | 82.00 ± 2.48 |');
    // One comparison a size: Holm leaves each p-value as it is, and the caption names the families.
    expect(markdown).toContain('| +7.16% | 0.091 | 0.091 |');
    expect(markdown).toContain('(n = 100: 1 comparison; n = 1000: 1 comparison)');
    // The provenance table comes first, with what was not given marked as such.
    expect(markdown.indexOf('## Provenance')).toBeLessThan(markdown.indexOf('## Test accuracy'));
    expect(markdown).toContain('| git commit | abc1234 |');
    expect(markdown).toContain('| threads | not recorded |');
    expect(html).toContain('<td>sha256:feed</td>');
    // A constant improvement at 1000 images: certain.
    expect(markdown).toContain('| < 0.001 | < 0.001 |');
    expect(html).toContain('<td>&lt; 0.001</td>');
    expect(markdown).toContain('![PGD samples](../samples%20grid.png)');
    expect(markdown).toContain('![Test accuracy](accuracy.png)');
    expect(html).toContain('<title>Low-data &lt;Fashion-MNIST&gt;</title>');
    expect(html).not.toContain('<svg');
    // The plot file, embedded first (shown at half its pixel size), then the image grid.
    const plot = readFileSync(files.plot);
    expect(files.plot).toBe(join(dir, 'report', 'accuracy.png'));
    const [embeddedPlot, embeddedGrid] = embeddedPngs(html);
    expect(Buffer.compare(embeddedPlot, plot)).toBe(0);
    const { width, height } = decode(plot);
    expect([width, height]).toEqual([1280, 760]);
    expect(html).toContain('class="plot" src="data:image/png;base64,');
    expect(html).toMatch(/alt="Test accuracy" width="640" height="380">/);
    const lines = countColors(plot, METHOD_COLORS);
    for (const color of METHOD_COLORS) expect(lines[color]).toBeGreaterThan(500);
    const grid = decode(embeddedGrid);
    expect([grid.width, grid.height, grid.data[0]]).toEqual([2, 3, 200]);
    expect(files.rows).toHaveLength(4);
  });

  it('draws a bar chart when there is one training-set size, and the same bytes for the same runs', () => {
    const options = {
      title: 'One size',
      records: RECORDS.filter((r) => r.trainSize === 100),
      baseline: 'baseline',
    };
    const files = writeReport(dir, options);
    const plot = readFileSync(files.plot);
    // Solid bars fill far more pixels than the lines of the line chart.
    const bars = countColors(plot, METHOD_COLORS);
    for (const color of METHOD_COLORS) expect(bars[color]).toBeGreaterThan(20_000);
    const html = readFileSync(files.html, 'utf8');
    expect(embeddedPngs(html)).toHaveLength(1);
    expect(html).not.toContain('<h2>Images</h2>');
    writeReport(dir, options);
    expect(Buffer.compare(readFileSync(files.plot), plot)).toBe(0);
    expect(readFileSync(files.html, 'utf8')).toBe(html);
  });

  it('rejects a missing image and an empty run list', () => {
    expect(() =>
      writeReport(dir, {
        title: 't',
        records: RECORDS,
        baseline: 'baseline',
        images: [{ title: 'x', path: join(dir, 'no.png') }],
      }),
    ).toThrow(/cannot read the PNG/);
    expect(() => writeReport(dir, { title: 't', records: [], baseline: 'baseline' })).toThrow(/no runs/);
  });
});
