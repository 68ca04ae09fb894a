/** The config shorthand `optimizer: sgd` for `optimizer: { name: sgd }`, written once for every named union. */
import { z } from '@perturb/core';

/**
 * Accepts `union`'s objects, or one of `names` alone, read as `{ name }` and checked by `union`
 * (so a name whose settings are required, such as `multistep`, is refused with the missing one).
 */
export function withNameShorthand<U extends z.ZodType<unknown, { name: string }>>(
  names: readonly [string, ...string[]],
  union: U,
): z.ZodType<z.output<U>, z.input<U> | string> {
  return z.union([
    // A string first, so an object fails this branch on its type and the message comes from `union`.
    z
      .string()
      // Editors complete the names from the JSON Schema of the string form.
      .meta({ enum: [...names] })
      .pipe(z.enum(names))
      .transform((name) => ({ name }))
      .pipe(union),
    union,
  ]);
}
