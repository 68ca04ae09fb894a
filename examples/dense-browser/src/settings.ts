/** The sizes the page runs at (the test checks the page's reports against them). */

/** A few 64×64 scenes: training ones from the training garments, test ones from the test garments. */
export const SCENES = { train: 8, test: 4, size: 64 } as const;

/** Training settings shared by every run: a few steps are enough to show it trains. */
export const RUN_SETTINGS = { steps: 3, batchSize: 2, lr: 0.01, seed: 0 } as const;
