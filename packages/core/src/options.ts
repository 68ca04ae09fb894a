/**
 * Option checking for every configurable part of perturb. Options are described by zod schemas
 * (strict at every depth, defaults filled in), so the same schema gives the TypeScript type
 * (`z.input`/`z.output`), the check of untyped input (YAML, JSON, JavaScript callers) and a
 * JSON Schema for editors. A failed check becomes one `PerturbError` that names the setting, the
 * value and the fix.
 *
 * zod was chosen over valibot for its built-in JSON Schema export (`z.toJSONSchema`), its
 * structured issues (unknown keys, expected types and ranges, the allowed values of an enum or
 * a discriminated union), which the messages below are built from, and its wide use.
 */
import * as z from 'zod';
import { PerturbError } from './errors';

export { z };

/**
 * Checks `raw` against `schema` and returns the parsed value, every default filled in.
 * Throws a `PerturbError` for the first problem, e.g.
 * `"optimizer.momentun" is not a setting of a.yaml. did you mean "momentum"? …`. Options objects
 * must be `z.strictObject`s, so unknown keys are refused at every depth.
 *
 * @param where what the options belong to, for the message: `'pixelPgd options'`, `'a.yaml'`.
 */
export function parseOptions<S extends z.ZodType>(schema: S, raw: unknown, where: string): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  throw optionsError(schema, result.error.issues[0] as z.core.$ZodIssue, raw, where);
}

/** The `PerturbError` describing one zod issue in `raw`. */
export function optionsError(
  schema: z.ZodType,
  issue: z.core.$ZodIssue,
  raw: unknown,
  where: string,
): PerturbError {
  const path = formatPath(issue.path);
  const at = path ? `"${path}"` : 'the options';
  const value = valueAt(raw, issue.path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys[0];
      const known = knownKeys(schema, raw, issue.path);
      const full = path ? `${path}.${key}` : key;
      const suggestion = closest(key, known);
      return new PerturbError(
        `"${full}" is not a setting of ${where}`,
        (suggestion ? `did you mean "${suggestion}"? ` : '') +
          (known.length > 0
            ? `valid settings${path ? ` of ${path}` : ''}: ${known.join(', ')}`
            : 'remove it'),
      );
    }
    case 'invalid_union': {
      const union = issue as z.core.$ZodIssueInvalidUnion & { options?: unknown[] };
      if (union.options && union.options.length > 0) {
        const options = union.options.map(String);
        const suggestion = typeof value === 'string' ? closest(value, options) : undefined;
        return new PerturbError(
          value === undefined ? `${at} is missing in ${where}` : `${at} is ${show(value)} in ${where}`,
          (suggestion ? `did you mean "${suggestion}"? ` : '') + `use one of ${options.join(', ')}`,
        );
      }
      return unionError(schema, union, raw, where);
    }
    case 'invalid_value': {
      const options = issue.values.map(String);
      const suggestion = typeof value === 'string' ? closest(value, options) : undefined;
      return new PerturbError(
        value === undefined ? `${at} is missing in ${where}` : `${at} is ${show(value)} in ${where}`,
        (suggestion ? `did you mean "${suggestion}"? ` : '') + `use one of ${options.join(', ')}`,
      );
    }
    case 'invalid_type':
      if (value === undefined) {
        return new PerturbError(
          `${at} is missing in ${where}`,
          `set it (expected ${expected(issue.expected)})`,
        );
      }
      return new PerturbError(
        `${at} is ${show(value)} in ${where}`,
        // A scalar where a list belongs is the usual slip (`seeds: 3`): show the list it meant.
        `use ${expected(issue.expected)}${issue.expected === 'array' ? `, e.g. [${show(value)}]` : ''}`,
      );
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const relation =
        issue.code === 'too_small' ? (issue.inclusive ? '≥' : '>') : issue.inclusive ? '≤' : '<';
      const what =
        issue.origin === 'array' ? 'a list with' : issue.origin === 'string' ? 'a text with' : 'a value';
      const unit = issue.origin === 'array' ? ' entries' : issue.origin === 'string' ? ' characters' : '';
      return new PerturbError(
        `${at} is ${show(value)} in ${where}`,
        `use ${what} ${relation} ${String(bound)}${unit}`,
      );
    }
    default:
      return new PerturbError(`${at} is ${show(value)} in ${where}`, lowerFirst(issue.message));
  }
}

/**
 * The error of a value that fits no option of a plain union (e.g. an augmenter's name or a
 * `{ name, options }` entry). Options whose type the value does not have are left out: if one
 * remains, its own first issue is the problem (an unknown key, a missing setting); if none does,
 * the value has the wrong type and the fix lists the types that fit.
 */
function unionError(
  schema: z.ZodType,
  union: z.core.$ZodIssueInvalidUnion,
  raw: unknown,
  where: string,
): PerturbError {
  const value = valueAt(raw, union.path);
  // An option fails on the value's type when it expects another type, or is an enum of values
  // of another type (the names of a shorthand, for a mapping).
  const isTypeMismatch = (issue: z.core.$ZodIssue) =>
    issue.path.length === 0 &&
    (issue.code === 'invalid_type' ||
      (issue.code === 'invalid_value' && issue.values.every((v) => typeof v !== typeof value)));
  const fitting = union.errors.filter((issues) => !issues.every(isTypeMismatch));
  if (fitting.length === 1) {
    const inner = fitting[0].find((issue) => !isTypeMismatch(issue)) as z.core.$ZodIssue;
    return optionsError(schema, { ...inner, path: [...union.path, ...inner.path] }, raw, where);
  }
  const path = formatPath(union.path);
  const types = union.errors.flatMap((issues) =>
    issues.flatMap((issue) =>
      isTypeMismatch(issue) && issue.code === 'invalid_type' ? [expected(issue.expected)] : [],
    ),
  );
  return new PerturbError(
    `${path ? `"${path}"` : 'the options'} is ${show(value)} in ${where}`,
    types.length > 0 ? `use ${[...new Set(types)].join(' or ')}` : lowerFirst(union.message),
  );
}

/** `a.b[2].c` from a zod path. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

/**
 * The candidate closest to `word` by edit distance, if it is close enough to be a likely typo
 * (at most a third of the word's letters differ), else undefined.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

/** Edits (insert, delete, replace, swap two neighbours: `sdt` → `std` is one) from `a` to `b`. */
function editDistance(a: string, b: string): number {
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        current[j] = Math.min(current[j], beforePrevious[j - 2] + 1);
      }
    }
    [beforePrevious, previous] = [previous, current];
  }
  return previous[b.length];
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let value = raw;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}

/** A zod schema's internal definition, read only to find the keys of the object at a path. */
interface SchemaDef {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  getter?: () => z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  options?: z.ZodType[];
}

const defOf = (schema: z.ZodType): SchemaDef => (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;

/** The schema under wrappers (optional, default, nullable, pipes, lazy) and, for a union, the option `value` fits best. */
function unwrap(schema: z.ZodType, value: unknown): z.ZodType {
  for (;;) {
    const def = defOf(schema);
    if (def.innerType) schema = def.innerType;
    else if (def.type === 'pipe' && def.in && def.out)
      // A preprocess step (z.preprocess) checks nothing itself: the settings are its output's.
      schema = defOf(def.in).type === 'transform' ? def.out : def.in;
    else if (def.type === 'lazy' && def.getter) schema = def.getter();
    else if (def.type === 'union' && def.options) schema = bestOption(def.options, value);
    else return schema;
  }
}

/** The union option whose object keys share the most keys with `value` (a discriminated union's tag among them). */
function bestOption(options: z.ZodType[], value: unknown): z.ZodType {
  const keys = value !== null && typeof value === 'object' ? Object.keys(value) : [];
  let best = options[0];
  let bestScore = -1;
  for (const option of options) {
    const shape = defOf(unwrap(option, undefined)).shape;
    if (!shape) continue;
    const score = keys.filter(
      (k) => k in shape && shape[k].safeParse((value as Record<string, unknown>)[k]).success,
    ).length;
    if (score > bestScore) [best, bestScore] = [option, score];
  }
  return best;
}

/** The settings an options schema accepts at its top level, e.g. to see whether it has `labels`. */
export function optionKeys(schema: z.ZodType): string[] {
  return knownKeys(schema, {}, []);
}

/** The keys the object schema at `path` accepts (where zod found an unknown key). */
function knownKeys(schema: z.ZodType, raw: unknown, path: readonly PropertyKey[]): string[] {
  let current = unwrap(schema, raw);
  let value = raw;
  for (const part of path) {
    const def = defOf(current);
    const next =
      def.shape?.[String(part)] ?? (def.type === 'array' ? def.element : undefined) ?? def.valueType;
    if (!next) return [];
    value =
      value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[part] : undefined;
    current = unwrap(next, value);
  }
  return Object.keys(defOf(current).shape ?? {});
}

function expected(type: string): string {
  const names: Record<string, string> = {
    number: 'a number',
    int: 'a whole number',
    string: 'a text',
    boolean: 'true or false',
    array: 'a list',
    object: 'a mapping of settings',
    record: 'a mapping of settings',
  };
  return names[type] ?? type;
}

function show(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
