/**
 * Plugin modules: a config's `plugins:` (and `--plugin`) name modules that register
 * augmenters, models and datasets in core's registries when imported. They are imported before
 * the config is checked, so it can name what they register; `compare` hands every child process
 * the resolved absolute paths, so children load the same files wherever they run.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PerturbError, parseOptions, z } from '@perturb/core';
import { readConfigFile } from './config-file';
import type { RawSettings } from './settings';

/** Modules a config loads before it is checked, so they can register what it names. */
export const pluginsSchema = z
  .array(z.string().min(1))
  .describe(
    'Plugin modules imported first, so the augmenters, models and datasets they register can be named: paths (relative to this file) or package names (found from its folder)',
  );

/**
 * The file each plugin specifier names: a path (`./my-plugin.js`, absolute or relative to
 * `baseDir`) or a package name, looked up from `baseDir` as Node looks up a dependency.
 */
export function resolvePlugins(specifiers: readonly string[], baseDir: string, source: string): string[] {
  return specifiers.map((specifier) => {
    const isPath = isAbsolute(specifier) || /^\.\.?([/\\]|$)/.test(specifier);
    if (isPath) {
      const path = resolve(baseDir, specifier);
      if (!existsSync(path)) {
        throw new PerturbError(
          `plugin ${specifier} in ${source} does not exist (${path})`,
          "check the path: it is relative to the config file's folder",
        );
      }
      return path;
    }
    try {
      return createRequire(join(baseDir, 'noop.js')).resolve(specifier);
    } catch (error) {
      throw new PerturbError(
        `plugin package ${specifier} in ${source} is not found from ${baseDir} (${firstLine(error)})`,
        `install it there (npm install ${specifier}), or name its file by path`,
      );
    }
  });
}

/** Modules imported so far, so naming one twice (a config and a flag) imports it once. */
const loaded = new Set<string>();

/** Imports the plugin files `paths`, in order; a failure is one line naming the module. */
export async function loadPlugins(paths: readonly string[]): Promise<void> {
  for (const path of paths) {
    if (loaded.has(path)) continue;
    try {
      await import(pathToFileURL(path).href);
    } catch (error) {
      throw new PerturbError(
        `plugin ${path} failed to load: ${firstLine(error)}`,
        'fix the module (run it with node to see the whole error), or remove it from plugins:',
      );
    }
    loaded.add(path);
  }
}

/**
 * Reads a command's YAML config (if any), then resolves and imports the plugins it names and
 * those of `flagPlugins` (given on the command line, relative to the working directory). The
 * settings come back with `plugins` as absolute paths, ready to be checked and recorded.
 */
export async function readConfigWithPlugins(
  configPath: string | undefined,
  flagPlugins: readonly string[] = [],
): Promise<RawSettings> {
  const settings = configPath ? readConfigFile(configPath) : {};
  const baseDir = configPath ? dirname(resolve(configPath)) : process.cwd();
  const plugins = [
    ...(await loadSettingsPlugins(settings, baseDir, configPath ?? 'the flags')),
    ...resolvePlugins(flagPlugins, process.cwd(), '--plugin'),
  ];
  await loadPlugins(plugins);
  const { plugins: _written, ...rest } = settings;
  return plugins.length > 0 ? { ...rest, plugins: [...new Set(plugins)] } : rest;
}

/**
 * Imports the plugins `settings` name (paths relative to `baseDir`) and returns their files;
 * `source` names the settings in errors.
 */
export async function loadSettingsPlugins(
  settings: RawSettings,
  baseDir: string,
  source: string,
): Promise<string[]> {
  const { plugins = [] } = parseOptions(
    z.looseObject({ plugins: pluginsSchema.optional() }),
    settings,
    source,
  );
  const paths = resolvePlugins(plugins, baseDir, source);
  await loadPlugins(paths);
  return paths;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}
