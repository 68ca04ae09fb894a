import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { typescriptBlocks } from './blocks';
import { REPO_ROOT } from './documents';
import { importedPackages, installedPackages } from './install-lines';

/** The README of every published (not private) package, relative to the repository root. */
const publishedReadmes = readdirSync(join(REPO_ROOT, 'packages'))
  .filter((dir) => existsSync(join(REPO_ROOT, 'packages', dir, 'package.json')))
  .filter(
    (dir) => !JSON.parse(readFileSync(join(REPO_ROOT, 'packages', dir, 'package.json'), 'utf8')).private,
  )
  .map((dir) => `packages/${dir}/README.md`);

describe("a package README's install lines", () => {
  it('are found for every published package', () => {
    expect(publishedReadmes.length).toBeGreaterThan(5);
  });

  it.each(publishedReadmes)('%s: name every package its examples import', (file) => {
    const markdown = readFileSync(join(REPO_ROOT, file), 'utf8');
    const installed = installedPackages(markdown);
    const missing = typescriptBlocks(file, markdown)
      .filter((block) => !block.fragment)
      .flatMap((block) =>
        [...importedPackages(block)]
          .filter((name) => !installed.has(name))
          .map((name) => `${name} (block ${block.index})`),
      );
    expect(missing).toEqual([]);
  });
});

describe('installedPackages and importedPackages', () => {
  it('read npm install lines and import specifiers as package names', () => {
    const markdown = 'x\n```sh\nnpm install @perturb/core zod@^4 -D # comment\nnpm i left-pad/x\n```\n';
    expect([...installedPackages(markdown)]).toEqual(['@perturb/core', 'zod', 'left-pad']);
    const block = {
      file: 'a.md',
      index: 1,
      line: 1,
      fragment: false,
      code: "import * as tf from '@tensorflow/tfjs-core';\nimport { a } from '@perturb/core/node';\nimport { b } from './b';\nimport { readFileSync } from 'node:fs';\nimport type { C } from 'yaml';\n",
    };
    expect([...importedPackages(block)]).toEqual(['@tensorflow/tfjs-core', '@perturb/core', 'yaml']);
  });
});
