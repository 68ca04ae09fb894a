import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeReport } from './report';
import { RECORDS } from './test-records';

/** A 2×3 PNG with a known first pixel. */
function writePng(path: string): void {
  const png = new PNG({ width: 2, height: 3 });
  png.data.fill(255);
  png.data[0] = 200;
  writeFileSync(path, PNG.sync.write(png));
}

describe('writeReport', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'perturb-eval-report-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes Markdown and self-contained HTML with the numbers, a line plot and embedded images', () => {
    const gridPath = join(dir, 'samples grid.png');
    writePng(gridPath);
    const files = writeReport(join(dir, 'report'), {
      title: 'Low-data <Fashion-MNIST>',
      records: RECORDS,
      baseline: 'baseline',
      images: [{ title: 'PGD samples', path: gridPath }],
      notes: 'ResNet-20, 30 epochs.',
    });
    const markdown = readFileSync(files.markdown, 'utf8');
    const html = readFileSync(files.html, 'utf8');
    for (const text of [markdown, html]) {
      expect(text).toContain('61.33 ± 1.60'); // pixel-pgd at 100: mean ± std in %
      expect(text).toContain('[57.35, 65.32]'); // its 95% t interval
      expect(text).toContain('+7.16%'); // vs baseline
      expect(text).toContain('0.091'); // paired p-value
      expect(text).toContain('30.0 s'); // mean time per run
      expect(text).toContain('ResNet-20, 30 epochs.');
    }
    expect(markdown).toContain('| pixel-pgd | 61.33 ± 1.60 | 82.00 ± 1.00 |');
    // A constant improvement at 1000 images: certain.
    expect(markdown).toContain('| < 0.001 |');
    expect(html).toContain('<td>&lt; 0.001</td>');
    expect(markdown).toContain('![PGD samples](../samples%20grid.png)');
    expect(markdown).toContain('![Test accuracy](accuracy.svg)');
    expect(html).toContain('<title>Low-data &lt;Fashion-MNIST&gt;</title>');
    expect(html).toMatch(/<svg [^>]*>[\s\S]*<polyline[\s\S]*<\/svg>/);
    expect(html).toContain('>pixel-pgd</text>'); // legend
    const embedded = /src="data:image\/png;base64,([^"]+)"/.exec(html)?.[1];
    const decoded = PNG.sync.read(Buffer.from(embedded!, 'base64'));
    expect([decoded.width, decoded.height, decoded.data[0]]).toEqual([2, 3, 200]);
    expect(readFileSync(files.plot, 'utf8')).toContain('<svg');
    expect(files.rows).toHaveLength(4);
  });

  it('draws a bar chart when there is one training-set size', () => {
    const files = writeReport(dir, {
      title: 'One size',
      records: RECORDS.filter((r) => r.trainSize === 100),
      baseline: 'baseline',
    });
    const html = readFileSync(files.html, 'utf8');
    expect(html).not.toContain('<polyline');
    expect(html.match(/<rect [^>]*fill="#(0072B2|D55E00)"/g)).toHaveLength(2);
    expect(html).not.toContain('<h2>Images</h2>');
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
