/**
 * Registries of what configs can name: augmenters, models and datasets. Built-in packages
 * register their definitions when they are imported; a plugin module registers its own the same
 * way, and the CLI loads plugin modules (the config's `plugins:`) before it reads anything else.
 *
 * Each registry lives on `globalThis` under a `Symbol.for` key, so the ESM and the CommonJS
 * build of this package (a plugin may load the other one) share one registry.
 */
import type { Augmenter, Classifier } from './plugin';
import type { Rng } from './rng';
import { PerturbError } from './errors';
import { closest, parseOptions, z } from './options';

/** What a definition's `create` may use besides its options. */
export interface BuildEnvironment {
  /** Builds a nested augmenter from its config entry (combinators written in YAML use it). */
  augmenter(entry: unknown, where: string): Augmenter;
  /**
   * A value built once per process and key, e.g. a trained flow loaded from a path, shared by
   * every augmenter that names it and disposed with the environment.
   */
  shared<T>(key: string, build: () => T, dispose?: (value: T) => void): T;
  /**
   * The bytes of a file a config names by path (a trained model's checkpoint), or undefined when
   * there is none. The cli reads them from disk; a browser app can hand in fetched bytes. An
   * environment without it cannot build augmenters that load models by path.
   */
  readFile?(path: string): Uint8Array | undefined;
}

/** An augmenter a config can name: `{ name, options }` → `create(parse(options))`. */
export interface AugmenterDefinition<S extends z.ZodType = z.ZodType> {
  /** The name configs use, e.g. `'randomCrop'`. */
  readonly name: string;
  /** One line for `perturb list`. */
  readonly summary: string;
  /** Its options, strict, with every default: `perturb list` shows them, the JSON Schema lists them. */
  readonly schema: S;
  create(options: z.output<S>, env: BuildEnvironment): Augmenter;
}

/** What every model factory is given besides its own options. */
export interface ModelContext {
  /** Classes of the dataset. */
  numClasses: number;
  /** Input images' [height, width, channels]. */
  inputShape: [number, number, number];
  /** Initializes the weights. */
  rng: Rng;
}

/** A classifier a config can name. */
export interface ModelDefinition<S extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly summary: string;
  readonly schema: S;
  create(options: z.output<S>, context: ModelContext): Classifier;
}

/**
 * A dataset a config can name. Loading is up to the package that defines it (files, downloads,
 * an embedded subset), so the loaded value's type is the loader's: `@perturb/datasets` narrows it.
 */
export interface DatasetDefinition<Loaded = unknown, S extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly summary: string;
  readonly schema: S;
  load(options: z.output<S>): Promise<Loaded>;
}

/** Definitions of one kind, by unique name. */
export class Registry<D extends { readonly name: string; readonly summary?: string }> {
  private readonly definitions = new Map<string, D>();

  /** @param kind `'augmenter'`, `'model'`, `'dataset'`: used in messages. */
  constructor(readonly kind: string) {}

  /**
   * Adds `definition`. A second definition under a taken name is refused, unless it is the same
   * object or one with the same summary (the same module imported twice, or its other build), or
   * `replace` is set (a plugin overriding a built-in on purpose).
   */
  register(definition: D, options: { replace?: boolean } = {}): void {
    const taken = this.definitions.get(definition.name);
    // The ESM and the CommonJS build of one package (the dual-package hazard: a plugin may load
    // the other build than the CLI) register equal definitions as different objects; the first stays.
    if (taken && !options.replace && taken.summary !== undefined && taken.summary === definition.summary)
      return;
    if (taken && taken !== definition && !options.replace) {
      throw new PerturbError(
        `two ${this.kind}s are registered as "${definition.name}"`,
        `rename one of them, or register the new one with { replace: true }`,
      );
    }
    this.definitions.set(definition.name, definition);
  }

  has(name: string): boolean {
    return this.definitions.has(name);
  }

  /** The definition named `name`; throws a `PerturbError` naming the closest registered one. */
  get(name: string): D {
    const definition = this.definitions.get(name);
    if (definition) return definition;
    const names = this.names();
    const suggestion = closest(name, names);
    throw new PerturbError(
      `unknown ${this.kind} "${name}"`,
      (suggestion ? `did you mean "${suggestion}"? ` : '') +
        (names.length > 0
          ? `registered ${this.kind}s: ${names.join(', ')}`
          : `no ${this.kind} is registered; import the package that defines it, or name it under plugins:`),
    );
  }

  /** Registered names, in registration order. */
  names(): string[] {
    return [...this.definitions.keys()];
  }

  /** Registered definitions, in registration order. */
  list(): D[] {
    return [...this.definitions.values()];
  }
}

function sharedRegistry<D extends { readonly name: string; readonly summary?: string }>(
  kind: string,
): Registry<D> {
  const key = Symbol.for(`perturb.registry.${kind}`);
  const holder = globalThis as unknown as Record<symbol, Registry<D> | undefined>;
  return (holder[key] ??= new Registry<D>(kind));
}

/** Every augmenter a config can name. */
export const augmenters: Registry<AugmenterDefinition> = sharedRegistry('augmenter');
/** Every classifier a config can name. */
export const models: Registry<ModelDefinition> = sharedRegistry('model');
/** Every dataset a config can name. */
export const datasets: Registry<DatasetDefinition> = sharedRegistry('dataset');

/** Registers an augmenter definition (typed by its schema). */
export function defineAugmenter<S extends z.ZodType>(
  definition: AugmenterDefinition<S>,
): AugmenterDefinition<S> {
  augmenters.register(definition as unknown as AugmenterDefinition);
  return definition;
}

/** Registers a model definition (typed by its schema). */
export function defineModel<S extends z.ZodType>(definition: ModelDefinition<S>): ModelDefinition<S> {
  models.register(definition as unknown as ModelDefinition);
  return definition;
}

/** Registers a dataset definition (typed by its schema). */
export function defineDataset<Loaded, S extends z.ZodType>(
  definition: DatasetDefinition<Loaded, S>,
): DatasetDefinition<Loaded, S> {
  datasets.register(definition as unknown as DatasetDefinition);
  return definition;
}

/** A config entry naming an augmenter with its options (default none). */
const namedEntry = z.strictObject({
  /** A registered augmenter's name, e.g. `randomCrop`. */
  name: z.string().min(1),
  /** Its options; every one it leaves out takes its default. */
  options: z.record(z.string(), z.unknown()).default({}),
});

/**
 * How a config names an augmenter, e.g. inside a combinator's `augmenters:` list: its registered
 * name alone (`horizontalFlip`), or `{ name, options }` (`{ name: randomCrop, options: { padding: 4 } }`).
 */
export const augmenterEntry = z.union([z.string().min(1), namedEntry]);

/** A config entry naming an augmenter: its name, or `{ name, options }`. */
export type AugmenterEntry = z.input<typeof augmenterEntry>;

/**
 * Builds the augmenter `entry` names (see {@link augmenterEntry}) from the `augmenters`
 * registry, its options checked against the definition's schema. `where` names the entry in
 * messages, e.g. `'oneOf augmenters[1]'`.
 */
export function buildAugmenter(entry: unknown, env: BuildEnvironment, where: string): Augmenter {
  const { name, options } =
    typeof entry === 'string' ? { name: entry, options: {} } : parseOptions(namedEntry, entry, where);
  return createAugmenter(augmenters.get(name), options, env, `${name} options (${where})`);
}

/** Checks `options` against `definition`'s schema and creates the augmenter. */
export function createAugmenter(
  definition: AugmenterDefinition,
  options: unknown,
  env: BuildEnvironment,
  where = `${definition.name} options`,
): Augmenter {
  return definition.create(parseOptions(definition.schema, options ?? {}, where), env);
}
