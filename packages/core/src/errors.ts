// perturb's error for bad input, and the brand that recognizes it across builds.

/**
 * Marks every PerturbError, whichever copy of this module made it. A Node app holds two: the
 * ESM and the CommonJS build (a CJS plugin loaded by the ESM `perturb` command), each with its
 * own class, so a plain `instanceof` would take the other build's errors for crashes.
 */
const BRAND = Symbol.for('@perturb/core:PerturbError');

/**
 * The one error type perturb throws for bad input: it names what is wrong and how to fix it,
 * so callers (and the CLI) can print a single clear line.
 */
export class PerturbError extends Error {
  override readonly name = 'PerturbError';
  constructor(
    /** What is wrong, e.g. "checkpoint runs/a/ckpt.safetensors is truncated". */
    readonly problem: string,
    /** What to do about it, e.g. "delete it and run again to start from scratch". */
    readonly fix: string,
  ) {
    super(`${problem}. ${fix}`);
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** `error instanceof PerturbError` holds for a PerturbError of any build of `@perturb/core`. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // A subclass keeps the ordinary prototype check.
    if (this !== PerturbError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && BRAND in value;
  }
}

/** Throws a PerturbError unless `condition` holds. */
export function check(condition: unknown, problem: string, fix: string): asserts condition {
  if (!condition) throw new PerturbError(problem, fix);
}
