#!/usr/bin/env node
/**
 * Installs the packed packages the way a user does and checks they work outside the monorepo:
 * a dependency used but not declared, a file left out of `files`, an `exports` entry that does
 * not resolve, a broken `perturb` bin all pass the workspace's own tests (every package finds
 * the others through the workspace's links and root node_modules) and fail only here.
 *
 *   npm run build && npm run check:packed [-- --keep] [-- --no-types]
 *
 * 1. `npm pack`s every published (not private) package of packages/ into a temp folder, each
 *    tarball holding its LICENSE and README.md;
 * 2. installs the tarballs into a new app there (`npm install`, the registry for the rest);
 * 3. checks that `npm ls --all` finds nothing missing, invalid or extraneous, and that every
 *    module a package's dist imports is a dependency (or peer) it declares;
 * 4. imports every `exports` entry of every package with `import()` and with `require()`;
 * 5. type-checks one file importing every entry under `module: node16` (as ESM and as CJS),
 *    `moduleResolution: bundler` and the legacy `node10` (skipped with --no-types);
 * 6. runs the installed bin: `perturb --help`, `perturb list`.
 * Prints what failed, one line each, and exits with 1 if anything did. `--keep` keeps the app.
 */
/* global process, console */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const flags = new Set(process.argv.slice(2));
const started = Date.now();
const failures = [];
const fail = (line) => failures.push(line);
/** What npm accepts as a package name (scoped or not). */
const PACKAGE_NAME = /^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;
const step = (what) => console.log(`check-packed: ${what} (${((Date.now() - started) / 1000).toFixed(0)} s)`);

/** The published packages: name, folder, manifest. */
const packages = readdirSync(join(root, 'packages'))
  .map((dir) => join(root, 'packages', dir))
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter(({ manifest }) => !manifest.private);
const unbuilt = packages.filter(({ dir }) => !existsSync(join(dir, 'dist')));
if (unbuilt.length > 0) {
  console.error(
    `check-packed: ${unbuilt.map(({ manifest }) => manifest.name).join(', ')} not built. run npm run build first`,
  );
  process.exit(1);
}

const work = mkdtempSync(join(tmpdir(), 'perturb-check-packed-'));
const app = join(work, 'app');
/** Runs a command, returning its output; its failure (exit code ≠ 0) is recorded as `what`. */
function run(what, command, args) {
  const result = spawnSync(command, args, { cwd: app, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.status !== 0)
    fail(`${what}: ${(result.stderr || result.stdout || String(result.error)).trim()}`);
  return result.stdout ?? '';
}

try {
  step(`packing ${packages.length} packages`);
  const packed = JSON.parse(
    execFileSync(
      'npm',
      [
        'pack',
        '--json',
        '--pack-destination',
        work,
        ...packages.flatMap(({ manifest }) => ['-w', manifest.name]),
      ],
      { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    ),
  );
  // What npm publishes beside the code: users and registries read these two from the tarball.
  for (const { name, files } of packed) {
    for (const required of ['LICENSE', 'README.md']) {
      if (!files.some((file) => file.path === required)) fail(`${name}'s tarball has no ${required}`);
    }
  }
  const tarballs = Object.fromEntries(packed.map((p) => [p.name, `file:${join(work, p.filename)}`]));

  step('installing them into a new app');
  mkdirSync(app);
  // The packages depend on each other at their workspace version, which the registry may not
  // have: overrides point every such dependency at its tarball, as publishing would.
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({
      name: 'perturb-packed-app',
      private: true,
      dependencies: tarballs,
      overrides: tarballs,
    }),
  );
  run('npm install', 'npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error']);
  run('npm ls --all (missing, invalid or extraneous dependencies)', 'npm', ['ls', '--all']);

  step('checking every import is declared');
  for (const { manifest } of packages) checkDeclaredImports(join(app, 'node_modules', manifest.name));

  step('importing every entry (ESM and CJS)');
  const entries = packages.flatMap(({ manifest }) =>
    Object.keys(manifest.exports ?? { '.': null })
      .filter((key) => key !== './package.json')
      .map((key) => (key === '.' ? manifest.name : `${manifest.name}/${key.slice(2)}`)),
  );
  const loads = (how) =>
    `const failed = [];\n` +
    entries
      .map(
        (e) =>
          `try { ${how(e)}; } catch (e) { failed.push(${JSON.stringify(e)} + ': ' + e.message.split('\\n')[0]); }\n`,
      )
      .join('') +
    `if (failed.length) { console.error(failed.join('\\n')); process.exit(1); }\n`;
  writeFileSync(
    join(app, 'load.mjs'),
    loads((e) => `await import(${JSON.stringify(e)})`),
  );
  writeFileSync(
    join(app, 'load.cjs'),
    loads((e) => `require(${JSON.stringify(e)})`),
  );
  run('import() of the entries', process.execPath, ['load.mjs']);
  run('require() of the entries', process.execPath, ['load.cjs']);

  if (!flags.has('--no-types')) {
    step('type-checking every entry under node16, bundler and node10 resolution');
    checkTypes(entries);
  }

  step('running the installed perturb');
  const bin = join(app, 'node_modules', '.bin', 'perturb');
  if (!run('perturb --help', bin, ['--help']).includes('Usage: perturb'))
    fail('perturb --help: no usage shown');
  if (
    !/models[^]*lenet5[^]*datasets[^]*fashion-mnist-small[^]*image-folder/.test(
      run('perturb list', bin, ['list']),
    )
  ) {
    fail('perturb list: the models and datasets are not listed');
  }
} finally {
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  for (const line of failures) console.error(`check-packed: FAILED ${line}`);
  console.log(
    `check-packed: ${failures.length === 0 ? 'all passed' : `${failures.length} failed`} in ${seconds} s`,
  );
  if (flags.has('--keep')) console.log(`check-packed: the app is in ${app}`);
  else rmSync(work, { recursive: true, force: true });
  process.exitCode = failures.length === 0 ? 0 : 1;
}

/** Every package a module of `dir`'s dist imports or requires must be one its manifest declares. */
function checkDeclaredImports(dir) {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const declared = new Set(
    [manifest.dependencies, manifest.peerDependencies, manifest.optionalDependencies].flatMap((d) =>
      Object.keys(d ?? {}),
    ),
  );
  // Static and dynamic imports, re-exports, require() and require.resolve(), also through a
  // createRequire()'d `localRequire`, of a literal or a template (`pkg/file/${name}`).
  // (Backticks only after a require: doc comments quote names in them.)
  const specifier =
    /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])([^'"\n]+)\1|[rR]equire(?:\.resolve)?\s*\(\s*(['"`])([^'"`\n]+)\3/g;
  for (const file of distFiles(join(dir, 'dist'))) {
    for (const [, , imported, , required] of readFileSync(file, 'utf8').matchAll(specifier)) {
      const name = imported ?? required;
      const pkg = name
        .split('/')
        .slice(0, name.startsWith('@') ? 2 : 1)
        .join('/');
      // Relative paths, node: modules and text that only looks like an import (a message's
      // `from "${site}"`) name no package.
      if (!PACKAGE_NAME.test(pkg)) continue;
      if (builtinModules.includes(pkg) || pkg === manifest.name || declared.has(pkg)) continue;
      fail(`${manifest.name} imports ${name} (${relative(dir, file)}) without declaring ${pkg}`);
      declared.add(pkg); // once per package is enough
    }
  }
}

function* distFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* distFiles(path);
    else if (/\.(c|m)?js$|\.d\.(c|m)?ts$/.test(entry.name)) yield path;
  }
}

/**
 * One file importing every entry, checked by the workspace's TypeScript as an app's own code
 * (ESM and CJS under node16; bundler). The app's types only: no test or DOM globals, Node's.
 */
function checkTypes(entries) {
  const source =
    entries.map((e, i) => `import * as m${i} from ${JSON.stringify(e)};`).join('\n') +
    `\nexport const all = [${entries.map((_, i) => `m${i}`).join(', ')}];\n`;
  for (const file of ['entries.mts', 'entries.cts', 'entries.ts']) writeFileSync(join(app, file), source);
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  const typeRoots = [join(root, 'node_modules', '@types')];
  const check = (name, options, files) => {
    const config = {
      compilerOptions: {
        target: 'es2022',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ['node'],
        typeRoots,
        ...options,
      },
      files,
    };
    writeFileSync(join(app, `tsconfig.${name}.json`), JSON.stringify(config));
    run(`tsc under ${name}`, process.execPath, [tsc, '-p', `tsconfig.${name}.json`]);
  };
  check('node16', { module: 'node16', moduleResolution: 'node16' }, ['entries.mts', 'entries.cts']);
  check('bundler', { module: 'esnext', moduleResolution: 'bundler' }, ['entries.ts']);
  // node10 reads no exports: typesVersions maps the /node subpaths.
  check('node10', { module: 'commonjs', moduleResolution: 'node10' }, ['entries.ts']);
}
