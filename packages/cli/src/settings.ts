/**
 * What every command's configuration shares: settings arrive in layers (a YAML file, then
 * flags; or a compare config's base, then a method) and later layers win; the merged settings
 * are then checked by the command's schema.
 */

/** Settings from one source, not yet validated. */
export type RawSettings = Record<string, unknown>;

/** Merges `layers` in order, later ones winning; `undefined` values (flags not given) are skipped. */
export function mergeLayers(layers: RawSettings[]): RawSettings {
  const merged: RawSettings = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) if (value !== undefined) merged[key] = value;
  }
  return merged;
}
