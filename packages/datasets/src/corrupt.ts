/** The errors for damaged data (runs anywhere: parsers of bytes and file readers share them). */
import { PerturbError } from '@perturb/core';

export const CORRUPT_FIX = 'Delete it so it is downloaded again, or replace it with the original file';

/** A `PerturbError` for a damaged data file: `problem` says what is wrong with `source`. */
export function corruptFileError(source: string, problem: string): PerturbError {
  return new PerturbError(`${source} ${problem}`, CORRUPT_FIX);
}

/** A count as people read it in messages: `10,000`. */
export function countOf(n: number): string {
  return n.toLocaleString('en-US');
}
