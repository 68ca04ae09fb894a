/**
 * The saved model ends in a softmax; comparing probabilities would hide differences in the
 * logits that the softmax squashes, so both Node and the browser read the `logits` layer.
 */
import * as tfl from '@tensorflow/tfjs-layers';

/** A view of `model` (sharing its weights) whose output is its `logits` layer. */
export function logitsModel(model: tfl.LayersModel): tfl.LayersModel {
  return tfl.model({ inputs: model.inputs, outputs: model.getLayer('logits').output as tfl.SymbolicTensor });
}
