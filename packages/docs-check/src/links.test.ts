import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './documents';
import { brokenLinks, markdownFiles, relativeLinks } from './links';

describe('relative links of every Markdown file', () => {
  const files = markdownFiles();

  it('finds the documents, results pages and changesets', () => {
    expect(files).toEqual(
      expect.arrayContaining(['README.md', 'docs/architecture.md', 'docs/results/fashion-mnist-rerun.md']),
    );
    expect(files.some((file) => file.startsWith('node_modules/') || file.includes('/dist/'))).toBe(false);
  });

  it('all point at files that exist', () => {
    const broken = files.flatMap((file) => brokenLinks(file, readFileSync(join(REPO_ROOT, file), 'utf8')));
    expect(broken).toEqual([]);
  });
});

describe('relativeLinks', () => {
  it('takes links and images, drops anchors, schemes and code', () => {
    const markdown = [
      'See [a](../a.md#part), ![b](images/b.png "title"), [c](https://x.org/c.md), [d](#here),',
      '[e](mailto:x@y.z) and `[f](f.md)`, [g](<with space.md>).',
      '```md',
      '[h](h.md)',
      '```',
      '[i](dir/i%20j.md)',
    ].join('\n');
    expect(relativeLinks(markdown)).toEqual(['../a.md', 'images/b.png', 'with space.md', 'dir/i j.md']);
  });

  it('reports a missing target by file and link', () => {
    expect(brokenLinks('docs/x.md', '[ok](architecture.md) [gone](nope.md)')).toEqual([
      'docs/x.md -> nope.md',
    ]);
  });
});
