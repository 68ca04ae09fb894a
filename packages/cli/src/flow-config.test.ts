import { describe, expect, it } from 'vitest';
import { DEFAULT_FLOW_CONFIG, resolveFlowConfig } from './flow-config';

describe('train-flow config', () => {
  it('fills the defaults, no weight decay among them, and lets later layers override', () => {
    const config = resolveFlowConfig([{ epochs: 3, weightDecay: 1e-4 }, { epochs: 4 }]);
    expect(config).toEqual({ ...DEFAULT_FLOW_CONFIG, epochs: 4, weightDecay: 1e-4 });
    expect(resolveFlowConfig([]).weightDecay).toBe(0);
  });

  it('names unknown settings and bad values with the fix', () => {
    expect(() => resolveFlowConfig([{ weightdecay: 1e-4 }], 'f.yaml')).toThrow(
      /"weightdecay" is not a setting of f\.yaml\. did you mean "weightDecay"\?/,
    );
    for (const bad of [-1e-4, Infinity, '1e-4']) {
      expect(() => resolveFlowConfig([{ weightDecay: bad }])).toThrow(
        /"weightDecay" is .* in the flow config\. use a (number|value ≥ 0)$/,
      );
    }
    expect(() => resolveFlowConfig([{ coupling: 'spline' }])).toThrow(/use one of affine, additive/);
    expect(() => resolveFlowConfig([{ scaleForm: 'exp' }])).toThrow(/use one of sigmoid, exp-tanh, exp-atan/);
    expect(resolveFlowConfig([]).scaleForm).toBe('sigmoid');
  });

  it('takes the training noise as uniform (the default) or Gaussian with a positive std, refusing others in one line', () => {
    expect(resolveFlowConfig([]).noise).toEqual({ kind: 'uniform' });
    expect(resolveFlowConfig([{ noise: { kind: 'gaussian', std: 0.05 } }]).noise).toEqual({
      kind: 'gaussian',
      std: 0.05,
    });
    expect(() => resolveFlowConfig([{ noise: { kind: 'gaussian' } }], 'f.yaml')).toThrow(
      /^"noise\.std" is missing in f\.yaml\. set it \(expected a number\)$/,
    );
    expect(() => resolveFlowConfig([{ noise: { kind: 'gaussian', std: 0 } }])).toThrow(
      /^"noise\.std" is 0 in the flow config\. use a value > 0$/,
    );
    expect(() => resolveFlowConfig([{ noise: { kind: 'normal', std: 0.1 } }])).toThrow(
      /^"noise\.kind" is "normal" in the flow config\. use one of uniform, gaussian$/,
    );
    expect(() => resolveFlowConfig([{ noise: { kind: 'uniform', std: 0.1 } }])).toThrow(
      /"noise\.std" is not a setting/,
    );
  });

  it("lays flow-lp's Fashion-MNIST Glow under the given settings", () => {
    const config = resolveFlowConfig([{ preset: 'flow-lp' }, { epochs: 2 }]);
    expect(config).toMatchObject({
      levels: 1,
      depth: 12,
      hidden: 512,
      scaleForm: 'exp-tanh',
      splitPrior: 'standard',
      topPrior: 'standard',
      dataSpace: 'logit',
      conditional: true,
      batchSize: 256,
      lr: 1e-3,
      warmupSteps: 1172,
      gradClipNorm: 1,
      padTo: 28,
      epochs: 2,
    });
    expect(resolveFlowConfig([{ preset: 'flow-lp-fc' }])).toMatchObject({
      architecture: 'fc',
      scaleForm: 'exp-atan',
      depth: 12,
      noise: { kind: 'gaussian', std: 0.1 },
    });
    expect(resolveFlowConfig([{ preset: 'flow-lp-fc' }, { noise: { kind: 'uniform' } }]).noise).toEqual({
      kind: 'uniform',
    });
    expect(resolveFlowConfig([{ preset: 'flow-lp' }]).noise).toEqual({ kind: 'uniform' });
    expect(() => resolveFlowConfig([{ preset: 'flowlp' }])).toThrow(/did you mean "flow-lp"\?/);
    expect(resolveFlowConfig([]).topPrior).toBe('learned');
  });
});
