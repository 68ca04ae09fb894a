/**
 * The symbolic graph of a `tf.LayersModel`, read and run between any two of its tensors: what
 * `fromLayersModel` splits at a layer. tfjs-layers runs a model only from its inputs to its
 * outputs, so this walks the layers' symbolic tensors itself and applies each layer to
 * concrete tensors, as `model.apply` does inside.
 *
 * Only types are imported from tfjs-layers: the layers run through the model the caller passes,
 * so an app never gets a second copy of tfjs-layers from perturb.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { SymbolicTensor } from '@tensorflow/tfjs-layers';

/** Whether a symbolic tensor is a model input (the output of an `InputLayer`). */
export function isModelInput(t: SymbolicTensor): boolean {
  return t.sourceLayer.getClassName() === 'InputLayer';
}

/** Every symbolic tensor `output` is computed from, `output` included, each once. */
export function ancestors(output: SymbolicTensor): SymbolicTensor[] {
  const seen = new Map<number, SymbolicTensor>();
  const visit = (t: SymbolicTensor): void => {
    if (seen.has(t.id)) return;
    seen.set(t.id, t);
    t.inputs.forEach(visit);
  };
  visit(output);
  return [...seen.values()];
}

/**
 * Where the tail from `site` to `output` would need a tensor other than `site`: the first layer
 * (walking back from the output) that also takes a tensor computed from the model's input
 * without passing through `site` — a skip connection across the site — or `undefined` when
 * `site` alone determines `output`.
 */
export function crossingAt(
  output: SymbolicTensor,
  site: SymbolicTensor,
): { layer: string; from: string } | undefined {
  const reachesInput = memoized((t, self) => t.id !== site.id && (isModelInput(t) || t.inputs.some(self)));
  const throughSite = memoized((t, self) => t.id === site.id || t.inputs.some(self));
  const visited = new Set<number>();
  const find = (t: SymbolicTensor): { layer: string; from: string } | undefined => {
    if (visited.has(t.id) || !reachesInput(t)) return undefined;
    visited.add(t.id);
    const before = t.inputs.find((i) => reachesInput(i) && !throughSite(i));
    if (before) return { layer: t.sourceLayer.name, from: before.sourceLayer.name };
    for (const input of t.inputs) {
      const found = find(input);
      if (found) return found;
    }
    return undefined;
  };
  return find(output);
}

/** A predicate over the graph, computed once per tensor. */
function memoized(
  rule: (t: SymbolicTensor, self: (t: SymbolicTensor) => boolean) => boolean,
): (t: SymbolicTensor) => boolean {
  const known = new Map<number, boolean>();
  const self = (t: SymbolicTensor): boolean => {
    let value = known.get(t.id);
    if (value === undefined) {
      value = rule(t, self);
      known.set(t.id, value);
    }
    return value;
  };
  return self;
}

/**
 * Computes `fetch` from the concrete tensors `feeds` (by symbolic tensor id), applying every
 * layer in between once with `training` (BatchNorm then normalizes with batch statistics and
 * updates its moving averages, Dropout drops). The caller checks beforehand that `feeds`
 * determine `fetch`; the intermediate tensors are the caller's to free (run it in `tf.tidy`).
 */
export function runGraph(
  fetch: SymbolicTensor,
  feeds: ReadonlyMap<number, tf.Tensor>,
  training: boolean,
): tf.Tensor {
  const values = new Map(feeds);
  const evaluate = (t: SymbolicTensor): tf.Tensor => {
    const known = values.get(t.id);
    if (known) return known;
    if (isModelInput(t)) throw new Error(`runGraph: the input "${t.name}" is not fed`);
    const inputs = t.inputs.map(evaluate);
    const outputs = [t.sourceLayer.apply(inputs.length === 1 ? inputs[0] : inputs, { training })].flat();
    // A layer with several outputs runs once: every output of its call is recorded.
    const node = t.sourceLayer.inboundNodes.find((n) => n.outputTensors.some((o) => o.id === t.id));
    const symbolic = node?.outputTensors ?? [t];
    symbolic.forEach((s, i) => values.set(s.id, outputs[i] as tf.Tensor));
    return values.get(t.id) as tf.Tensor;
  };
  return evaluate(fetch);
}
