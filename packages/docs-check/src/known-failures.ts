/**
 * Blocks that do not type-check yet, by `<file>#<n>` (the file's n-th TypeScript block), with
 * the first error. They sit in files other branches of issue 15 are rewriting; the test expects
 * each to fail, so a block that starts to pass fails the test until its entry is removed: this
 * list only shrinks, and is meant to be empty.
 */
export const KNOWN_FAILURES: Readonly<Record<string, string>> = {
  'packages/afan/README.md#2':
    "TS2304 Cannot find name 'train' (and 'options'): a fragment of a train() call",
  'packages/augmenters/README.md#1':
    "TS2345 Argument of type '() => Batch' is not assignable to parameter of type 'string | ScopeFn<TensorContainer>' (tf.tidy(() => augment.transform!(batch, ctx)))",
  'packages/augmenters/README.md#2':
    "TS2322 Type '(batch: Batch, ctx: StepContext) => { x: Tensor<Rank>; y: Tensor2D; }' is not assignable to type '(batch: Batch, ctx: StepContext) => Batch'",
  'docs/architecture.md#1':
    "TS2304 Cannot find name 'Tensor4D' (and 21 more): the plugin contract, written with elided types; mark it ```ts fragment",
};
