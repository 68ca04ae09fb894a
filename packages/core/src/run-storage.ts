/**
 * Where a training run keeps its files (checkpoint, `metrics.jsonl`, `result.json`, image
 * grids): a small interface so the training loop runs anywhere. `memoryStorage()` keeps them in
 * memory (a browser page, tests); `runFolder(dir)` from `@perturb/core/node` writes them to a
 * folder, atomically.
 */

/** A run's files by name (`'checkpoint.safetensors'`, `'images/epoch-1.png'`). */
export interface RunStorage {
  /** The file's bytes, or undefined when there is none. */
  read(name: string): Uint8Array | undefined;
  /** Replaces the file as a whole: a reader sees the old bytes or the new, never a mix. */
  write(name: string, data: Uint8Array | string): void;
  /** How errors name the file, e.g. its path. */
  describe(name: string): string;
}

/** A {@link RunStorage} in memory; `files` holds what was written. */
export function memoryStorage(): RunStorage & { readonly files: Map<string, Uint8Array> } {
  const files = new Map<string, Uint8Array>();
  return {
    files,
    read: (name) => files.get(name),
    write: (name, data) => {
      files.set(name, typeof data === 'string' ? new TextEncoder().encode(data) : data.slice());
    },
    describe: (name) => `${name} (in memory)`,
  };
}

/** A stored file's text (UTF-8), or undefined when there is none. */
export function readText(storage: RunStorage, name: string): string | undefined {
  const bytes = storage.read(name);
  return bytes === undefined ? undefined : new TextDecoder().decode(bytes);
}
