/** Reading a command's YAML config file. */
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { PerturbError } from '@perturb/core';
import type { RawSettings } from './settings';

/** Reads a YAML config file into a plain object, naming the file in every error. */
export function readConfigFile(path: string): RawSettings {
  if (!existsSync(path)) {
    throw new PerturbError(`config file ${path} does not exist`, 'check the path given to --config');
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new PerturbError(
      `config file ${path} is not valid YAML (${(error as Error).message.split('\n')[0]})`,
      'fix the YAML syntax',
    );
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new PerturbError(
      `config file ${path} is not a mapping of keys to values`,
      'write it as `key: value` lines',
    );
  }
  return parsed as RawSettings;
}
