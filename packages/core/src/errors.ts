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
  }
}

/** Throws a PerturbError unless `condition` holds. */
export function check(condition: unknown, problem: string, fix: string): asserts condition {
  if (!condition) throw new PerturbError(problem, fix);
}
