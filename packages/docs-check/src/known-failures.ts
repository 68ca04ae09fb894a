/**
 * Blocks that do not type-check yet, by `<file>#<n>` (the file's n-th TypeScript block), with
 * the first error. They sit in files other branches of issue 15 are rewriting; the test expects
 * each to fail, so a block that starts to pass fails the test until its entry is removed: this
 * list only shrinks, and is meant to be empty.
 */
export const KNOWN_FAILURES: Readonly<Record<string, string>> = {};
