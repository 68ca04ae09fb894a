import { describe, expect, it } from 'vitest';
import { parseOptions, z } from '@perturb/core';
import { createSchedule, scheduleSchema } from './schedules';

describe('schedules', () => {
  it('one-cycle matches PyTorch OneCycleLR (max_lr 0.1, 240 steps) in lr and momentum', () => {
    const s = createSchedule({ name: 'onecycle' }, { lr: 0.1, totalSteps: 240, stepsPerEpoch: 8 });
    // Reference values printed by torch 1.13's OneCycleLR with its defaults.
    const reference: Array<[number, number, number]> = [
      [0, 0.004, 0.95],
      [1, 0.0040469811270412714, 0.9499510613259986],
      [71, 0.1, 0.85],
      [72, 0.09999125808060515, 0.8500087419543627],
      [100, 0.09282625646898149, 0.8571737722261074],
      [239, 4e-7, 0.95],
    ];
    for (const [step, lr, momentum] of reference) {
      expect(s(step).lr).toBeCloseTo(lr, 10);
      expect(s(step).momentum).toBeCloseTo(momentum, 10);
    }
  });

  it('multistep multiplies by gamma at each milestone epoch', () => {
    const s = createSchedule(
      { name: 'multistep', milestones: [2, 4], gamma: 0.2 },
      { lr: 1, totalSteps: 60, stepsPerEpoch: 10 },
    );
    expect([s(0).lr, s(19).lr, s(20).lr, s(40).lr]).toEqual([1, 1, 0.2, 0.2 * 0.2]);
  });

  it('step, cosine and linear warm-up', () => {
    const step = createSchedule(
      { name: 'step', everyEpochs: 1, gamma: 0.5 },
      { lr: 1, totalSteps: 30, stepsPerEpoch: 10 },
    );
    expect([step(9).lr, step(10).lr]).toEqual([1, 0.5]);
    const cosine = createSchedule(
      { name: 'cosine' },
      { lr: 1, totalSteps: 100, stepsPerEpoch: 10, warmupSteps: 10 },
    );
    expect(cosine(0).lr).toBeCloseTo(0.1 * 1, 6);
    expect(cosine(50).lr).toBeCloseTo(0.5, 6);
    expect(cosine(100).lr).toBeCloseTo(0, 6);
  });

  it('rejects a bad learning rate', () => {
    for (const lr of [0, Number.NaN, Infinity]) {
      expect(() => createSchedule({ name: 'constant' }, { lr, totalSteps: 1, stepsPerEpoch: 1 })).toThrow(
        `learning rate ${lr} is invalid`,
      );
    }
  });

  it.each([
    [
      { name: 'wavy' },
      '"name" is "wavy" in the schedule options. use one of constant, step, multistep, cosine, onecycle',
    ],
    [{ name: 'multistep' }, '"milestones" is missing in the schedule options'],
    ['multistep', '"milestones" is missing in the schedule options'],
    [{ name: 'multistep', milestones: [] }, 'use a list with ≥ 1 entries'],
    [{ name: 'cosine', minLR: 0 }, '"minLR" is not a setting of the schedule options. did you mean "minLr"?'],
    [{ name: 'onecycle', pctStart: 1 }, '"pctStart" is 1 in the schedule options. use a value < 1'],
    ['cosin', '"cosin" in the schedule options. did you mean "cosine"?'],
  ])('refuses %j with one clear message', (config, message) => {
    expect(() => createSchedule(config as never, { lr: 1, totalSteps: 10, stepsPerEpoch: 1 })).toThrow(
      message,
    );
  });

  it('reads a name alone as the schedule with its defaults', () => {
    const options = { lr: 1, totalSteps: 100, stepsPerEpoch: 10 };
    const short = createSchedule('cosine', options);
    const long = createSchedule({ name: 'cosine', minLr: 0 }, options);
    expect([short(0).lr, short(50).lr, short(99).lr]).toEqual([long(0).lr, long(50).lr, long(99).lr]);
  });

  it('schema gives defaults to a config (for the cli) and a JSON Schema of its input (for editors)', () => {
    expect(parseOptions(scheduleSchema, 'onecycle', 'a.yaml')).toEqual({
      name: 'onecycle',
      pctStart: 0.3,
      divFactor: 25,
      finalDivFactor: 1e4,
      cycleMomentum: true,
    });
    const json = JSON.stringify(z.toJSONSchema(scheduleSchema, { io: 'input' }));
    expect(json).toContain('"milestones"');
  });
});
