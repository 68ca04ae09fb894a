/**
 * The packages whose augmenters, models and datasets every perturb config can name: importing
 * them registers those in core's registries, before any config is checked.
 */
import '@perturb/classifiers';
import '@perturb/datasets/node';
import '@perturb/segmentation/node';
import '@perturb/detection';
import '@perturb/detection/node';
import './augmenter-registry';
