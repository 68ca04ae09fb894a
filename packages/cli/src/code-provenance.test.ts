import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeOf } from './code-provenance';

/** A committer, and no signing or hooks a developer's own git config may ask for. */
const IDENTITY = [
  '-c',
  'user.name=t',
  '-c',
  'user.email=t@t',
  '-c',
  'commit.gpgsign=false',
  '-c',
  'core.hooksPath=/dev/null',
];

/** A git repository in a new temp folder, with `files` (path → text) committed unless ignored. */
function repository(files: Record<string, string>): { root: string; head: string } {
  const root = mkdtempSync(join(tmpdir(), 'perturb-provenance-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', root, ...IDENTITY, ...args], { encoding: 'utf8' }).trim();
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'files');
  return { root, head: git('rev-parse', 'HEAD') };
}

const manifest = JSON.stringify({ name: '@perturb/cli', version: '1.2.3' });

describe('codeOf', () => {
  it("records a perturb checkout's commit and the package's version", () => {
    const { root, head } = repository({
      'packages/cli/package.json': manifest,
      'packages/cli/dist/bin.js': '',
    });
    expect(codeOf(join(root, 'packages/cli/dist/bin.js'))).toEqual({ commit: head, version: '1.2.3' });
  });

  it("records only the version of a package installed inside the user's own repository", () => {
    const { root } = repository({
      '.gitignore': 'node_modules\n',
      'package.json': '{}',
      'node_modules/@perturb/cli/package.json': manifest,
      'node_modules/@perturb/cli/dist/bin.js': '',
    });
    expect(codeOf(join(root, 'node_modules/@perturb/cli/dist/bin.js'))).toEqual({ version: '1.2.3' });
  });
});
