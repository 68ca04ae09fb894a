/**
 * Named settings ("presets": a paper's setting) for any options schema. A config or caller writes
 * `{ preset: 'cifar10-paper', steps: 2 }`: the preset's values, then the given ones over them,
 * then the schema's defaults for the rest, all checked by the one schema.
 */
import { z } from './options';

/** A schema's presets by name: partial options. */
export type Presets = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

/** The `preset` field of an options schema: one of the names of `presets`, optional. */
export function presetField<P extends Presets>(presets: P) {
  return z.enum(Object.keys(presets) as [Extract<keyof P, string>, ...Extract<keyof P, string>[]]).optional();
}

/**
 * `schema` (a `z.strictObject` with a {@link presetField}) that first lays the named preset's
 * values under the given options. An unknown preset name is left for the schema to refuse, with
 * a did-you-mean.
 */
export function withPresets<P extends Presets, S extends z.ZodType>(presets: P, schema: S) {
  return z.preprocess((raw) => applyPreset(presets, raw), schema);
}

function applyPreset(presets: Presets, raw: unknown): unknown {
  if (raw === null || typeof raw !== 'object' || !('preset' in raw)) return raw;
  const name = (raw as { preset: unknown }).preset;
  if (typeof name !== 'string' || !Object.hasOwn(presets, name)) return raw;
  const given = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== undefined));
  return { ...presets[name], ...given };
}
