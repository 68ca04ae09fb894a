import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CodeBlock } from './blocks';
import { typescriptBlocks, yamlBlocks } from './blocks';
import { REPO_ROOT, documents } from './documents';
import { KNOWN_FAILURES } from './known-failures';
import { typecheckBlocks } from './typecheck';

const blocks = documents().flatMap((file) =>
  typescriptBlocks(file, readFileSync(join(REPO_ROOT, file), 'utf8')),
);
const keyOf = (block: CodeBlock) => `${block.file}#${block.index}`;

describe('every TypeScript block of the READMEs and docs', () => {
  let errors: Map<CodeBlock, string[]>;
  beforeAll(() => {
    errors = typecheckBlocks(blocks.filter((block) => !block.fragment));
  });

  it('finds the documents and their blocks', () => {
    expect(documents()).toEqual(expect.arrayContaining(['packages/core/README.md', 'docs/concepts.md']));
    expect(blocks.length).toBeGreaterThan(10);
  });

  for (const block of blocks) {
    const key = keyOf(block);
    if (block.fragment) {
      it.skip(`${key} (line ${block.line}) is marked fragment`, () => {});
    } else if (key in KNOWN_FAILURES) {
      it(`${key} (line ${block.line}) still fails, as KNOWN_FAILURES says`, () => {
        expect(errors.get(block), 'it type-checks now: remove it from KNOWN_FAILURES').not.toEqual([]);
      });
    } else {
      it(`${key} (line ${block.line}) type-checks`, () => {
        expect(errors.get(block)!.join('\n')).toBe('');
      });
    }
  }

  it('lists in KNOWN_FAILURES only blocks that exist', () => {
    const keys = new Set(blocks.map(keyOf));
    expect(Object.keys(KNOWN_FAILURES).filter((key) => !keys.has(key))).toEqual([]);
  });
});

describe('the checker', () => {
  const block = (code: string, index = 1): CodeBlock => ({
    file: 'docs/synthetic.md',
    index,
    line: 10,
    code,
    fragment: false,
  });

  it('reports errors at their Markdown line, checks against the built packages, isolates blocks', () => {
    const wrong = block("import { Rng } from '@perturb/core';\n\nconst n: string = new Rng(1).uniform();");
    const right = block(
      "import { Rng } from '@perturb/core';\n\nconst n: number = new Rng(1).uniform();\nconsole.log(n);",
      2,
    );
    const missing = block("import { nothing } from '@perturb/core';\nconsole.log(nothing);", 3);
    // Each block is a module of its own: `n` again, and top-level await.
    const awaiting = block('const n = await Promise.resolve(1);\nconsole.log(n);', 4);
    const result = typecheckBlocks([wrong, right, missing, awaiting]);
    expect(result.get(wrong)).toEqual([
      "docs/synthetic.md:13: TS2322 Type 'number' is not assignable to type 'string'.",
    ]);
    expect(result.get(right)).toEqual([]);
    expect(result.get(missing)![0]).toMatch(
      /^docs\/synthetic\.md:11: TS2305 Module '"@perturb\/core"' has no exported member 'nothing'/,
    );
    expect(result.get(awaiting)).toEqual([]);
  });
});

describe('typescriptBlocks and yamlBlocks', () => {
  const markdown = [
    '# Title', // 1
    '```ts', // 2
    'const a = 1;', // 3
    '```', // 4
    '```sh', // 5
    'npm test', // 6
    '```', // 7
    '- item', // 8
    '  ```typescript fragment', // 9
    '  interface X { f(x) }', // 10
    '  ```', // 11
    '````ts', // 12
    '```', // 13
    '````', // 14
  ].join('\n');

  it('finds ts and typescript blocks with their lines, indentation removed, fragments marked', () => {
    expect(typescriptBlocks('a.md', markdown)).toEqual([
      { file: 'a.md', index: 1, line: 2, code: 'const a = 1;', fragment: false },
      { file: 'a.md', index: 2, line: 9, code: 'interface X { f(x) }', fragment: true },
      { file: 'a.md', index: 3, line: 12, code: '```', fragment: false },
    ]);
  });

  it('counts YAML blocks on their own', () => {
    const withYaml = `${markdown}\n\`\`\`yaml fragment\nepochs: 1\n\`\`\``;
    expect(yamlBlocks('a.md', withYaml)).toEqual([
      { file: 'a.md', index: 1, line: 15, code: 'epochs: 1', fragment: true },
    ]);
  });
});
