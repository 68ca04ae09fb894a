import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend';
import { childContext, choiceStream, combinator, compose, stepContext } from './compose';
import type { Augmenter, Batch, StepContext } from './plugin';
import { Rng } from './rng';
import { TinyClassifier } from './testing/tiny-classifier';

let model: TinyClassifier;
beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
  model = new TinyClassifier({ numClasses: 2, width: 2, seed: 1 });
});

const at = (step: number, seed = 7): StepContext => stepContext(model, new Rng(seed), { step, epoch: 0 });
const batch = (): Batch => ({ x: tf.zeros([2, 4, 4, 1]), y: tf.zeros([2, 2]) });

/** Records the first draw of its stream at each call, in both stages. */
function recorder(name: string, seen: Record<string, number[]>): Augmenter {
  const record = (ctx: StepContext) => (seen[name] ??= []).push(ctx.rng.next());
  return {
    name,
    transform: (b, ctx) => (record(ctx), b),
    losses: (_, ctx) => (record(ctx), { terms: () => [] }),
  };
}

/** Counts its calls; its state is the count. */
function counter(name: string): Augmenter & { count: () => number } {
  let count = 0;
  return {
    name,
    transform: (b) => (count++, b),
    state: () => ({ count }),
    loadState: (state) => {
      count = (state as { count: number }).count;
    },
    count: () => count,
  };
}

/** A combinator over `children` that runs each child's input stage, as oneOf and friends do. */
const each = (name: string, children: Augmenter[]) =>
  combinator(name, children, {
    transform: (b, ctx) =>
      children.reduce((current, child) => child.transform?.(current, childContext(ctx, child)) ?? current, b),
  });

describe('the stream rule', () => {
  it("derives a step's stream from the run's seed and the step, never from a position", () => {
    const run = new Rng(7);
    run.next(); // the run's own draws do not move the step streams
    expect(stepContext(model, run, { step: 3, epoch: 1 }).rng.next()).toBe(at(3).rng.next());
    expect(at(3).rng.next()).not.toBe(at(4).rng.next());
    expect(at(3).rng.next()).not.toBe(at(3, 8).rng.next());
  });

  it("gives each child its parent's stream, child('augmenter:<name>'), and choices a stream per stage", () => {
    const ctx = at(0);
    const child: Augmenter = { name: 'a' };
    expect(childContext(ctx, child).rng.next()).toBe(ctx.rng.child('augmenter:a').next());
    expect(childContext(ctx, child)).toMatchObject({ model, step: 0, epoch: 0 });
    const draws = [choiceStream(ctx, 'input'), choiceStream(ctx, 'losses'), childContext(ctx, child).rng].map(
      (rng) => rng.next(),
    );
    expect(new Set(draws).size).toBe(3);
  });

  it('draws the same numbers for a child whether it is listed or inside a nested sequence', () => {
    const flat: Record<string, number[]> = {};
    const nested: Record<string, number[]> = {};
    const run = (augmenter: Augmenter) => {
      augmenter.transform!(batch(), at(5));
      augmenter.losses!(batch(), at(5));
    };
    run(compose([recorder('a', flat), recorder('b', flat), recorder('c', flat)]));
    run(
      compose([
        recorder('a', nested),
        compose([recorder('b', nested), recorder('c', nested)], { name: 'p' }),
      ]),
    );
    expect(nested).toEqual(flat);
    expect(flat.a[0]).not.toBe(flat.b[0]);
  });

  it('shifts no sibling when a child is added', () => {
    const two: Record<string, number[]> = {};
    const three: Record<string, number[]> = {};
    compose([recorder('a', two), recorder('b', two)]).transform!(batch(), at(1));
    compose([recorder('new', three), recorder('a', three), recorder('b', three)]).transform!(batch(), at(1));
    expect([three.a, three.b]).toEqual([two.a, two.b]);
  });
});

describe('compose', () => {
  it('runs input stages in order and combines loss stages: terms concatenated, clean weights multiplied', () => {
    const plus = (name: string, amount: number): Augmenter => ({
      name,
      transform: (b) => ({ x: tf.add(b.x, amount), y: b.y }),
    });
    const loss = (name: string, cleanWeight: number): Augmenter => ({
      name,
      losses: () => ({ cleanWeight, terms: () => [{ name, weight: 1, value: () => tf.scalar(0) }] }),
    });
    const sequence = compose([
      plus('one', 1),
      loss('half', 0.5),
      compose([plus('two', 2), loss('tenth', 0.1)]),
    ]);
    expect(sequence.transform!(batch(), at(0)).x.dataSync()[0]).toBe(3);
    const stage = sequence.losses!(batch(), at(0));
    expect(stage.cleanWeight).toBeCloseTo(0.05, 12);
    expect(stage.terms().map((t) => t.name)).toEqual(['half', 'tenth']);
    expect(compose([plus('one', 1)]).losses).toBeUndefined();
    expect(compose([])).toEqual({ name: 'compose' });
  });

  it('hands each loss stage back the gradients of its own learned inputs', () => {
    const received: Record<string, number[]> = {};
    const learning = (name: string, values: number[]): Augmenter => ({
      name,
      losses: () => ({
        terms: () => [],
        learned: {
          tensors: values.map((v) => tf.scalar(v)),
          learn: (gradients) => (received[name] = gradients.map((g) => g.dataSync()[0])),
        },
      }),
    });
    const stage = compose([
      learning('a', [1, 2]),
      { name: 'none', losses: () => ({ terms: () => [] }) },
      compose([learning('b', [3])]),
    ]).losses!(batch(), at(0));
    expect(stage.learned!.tensors.map((t) => t.dataSync()[0])).toEqual([1, 2, 3]);
    stage.learned!.learn([tf.scalar(10), tf.scalar(20), tf.scalar(30)]);
    expect(received).toEqual({ a: [10, 20], b: [30] });
    expect(compose([learning('a', [1]), { name: 'none' }]).losses!(batch(), at(0)).learned).toBeDefined();
    expect(
      compose([{ name: 'none', losses: () => ({ terms: () => [] }) }]).losses!(batch(), at(0)).learned,
    ).toBeUndefined();
  });

  it('refuses two children of one name, across nested sequences too', () => {
    expect(() => compose([{ name: 'a' }, compose([{ name: 'a' }])], { name: 'the run' })).toThrow(
      /the run has two augmenters named "a", which would share one random stream and one saved state\. give each a unique `name` option/,
    );
  });
});

describe('state pass-through', () => {
  it('nests children’s state by name and hands each its own back', () => {
    const [a, b, c] = [counter('a'), counter('b'), counter('c')];
    const tree = compose([a, each('group', [b, { name: 'stateless' }, c])]);
    for (let step = 0; step < 3; step++) tree.transform!(batch(), at(step));
    const saved = JSON.parse(JSON.stringify(tree.state!()));
    expect(saved).toEqual({ a: { count: 3 }, group: { b: { count: 3 }, c: { count: 3 } } });

    const [a2, b2, c2] = [counter('a'), counter('b'), counter('c')];
    compose([a2, each('group', [b2, { name: 'stateless' }, c2])]).loadState!(saved);
    expect([a2.count(), b2.count(), c2.count()]).toEqual([3, 3, 3]);
    expect(compose([{ name: 'stateless' }]).state).toBeUndefined();
  });

  it('refuses state that does not fit, naming the entry', () => {
    const tree = compose([counter('a'), each('group', [counter('b')])], { name: 'the run' });
    expect(() => tree.loadState!([1])).toThrow(
      /the saved state of the run is \[1\], not one entry per augmenter/,
    );
    expect(() => tree.loadState!({ a: { count: 1 }, group: { b: { count: 1 } }, z: {} })).toThrow(
      /the saved state of the run has an entry "z", but no augmenter there has that name and state\. resume with the augmenters/,
    );
    expect(() => tree.loadState!({ a: { count: 1 } })).toThrow(
      /the saved state of the run has no entry for augmenter "group"/,
    );
    expect(() => tree.loadState!({ a: { count: 1 }, group: {} })).toThrow(
      /the saved state of group has no entry for augmenter "b"/,
    );
  });
});
