#!/usr/bin/python3
"""Writes torchvision's numbers for the detection task's losses and inference post-processing.

Run from anywhere with Debian's python3-torch and python3-torchvision installed:

    /usr/bin/python3 packages/detection/scripts/task-fixtures.py

It writes packages/detection/src/fixtures/detection-task.json (committed, so the tests need no
Python; format it with `npx prettier --write` before committing, as the other fixtures are). The anchors' and RoIs' samples are drawn here and passed to the TypeScript side as the
`labels` / `matchedBoxes` of a DetectorOutput; the losses follow torchvision's
`RegionProposalNetwork.compute_loss` (whose sampler is replaced by those labels) and call
`roi_heads.fastrcnn_loss` itself; inference calls `RoIHeads.postprocess_detections`. Tensors are
stored flat, row-major, float32 inputs.
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from torchvision.models.detection import _utils as det_utils
from torchvision.models.detection.roi_heads import RoIHeads, fastrcnn_loss

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "fixtures")
N, A, R, CLASSES, SIZE = 2, 12, 8, 3, 64


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def boxes(rng, count, spill=0.0):
    x1 = rng.uniform(-spill * SIZE, SIZE * 0.7, count)
    y1 = rng.uniform(-spill * SIZE, SIZE * 0.7, count)
    w = rng.uniform(4, SIZE * 0.6, count)
    h = rng.uniform(4, SIZE * 0.6, count)
    return torch.tensor(np.stack([x1, y1, x1 + w, y1 + h], axis=1).astype(np.float32))


def labels(rng, shape, choices):
    return torch.tensor(rng.choice(choices, size=shape).astype(np.int64))


def training_case(rng):
    anchors = boxes(rng, A)
    objectness = torch.tensor(rng.normal(0, 2, (N, A)).astype(np.float32), requires_grad=True)
    rpn_deltas = torch.tensor(rng.normal(0, 0.2, (N, A, 4)).astype(np.float32), requires_grad=True)
    rpn_labels = labels(rng, (N, A), [-1, 0, 1])
    rpn_matched = torch.where((rpn_labels == 1)[..., None], boxes(rng, N * A).reshape(N, A, 4), torch.tensor(0.0))

    rois = boxes(rng, N * R).reshape(N, R, 4)
    class_logits = torch.tensor(rng.normal(0, 2, (N, R, CLASSES + 1)).astype(np.float32), requires_grad=True)
    box_deltas = torch.tensor(
        rng.normal(0, 0.5, (N, R, 4 * (CLASSES + 1))).astype(np.float32), requires_grad=True
    )
    roi_labels = labels(rng, (N, R), [-1, 0, 1, 2, 3])
    roi_matched = torch.where((roi_labels > 0)[..., None], boxes(rng, N * R).reshape(N, R, 4), torch.tensor(0.0))

    # RegionProposalNetwork.compute_loss, with the drawn labels as the sampler's choice.
    flat_labels = rpn_labels.reshape(-1)
    pos = torch.where(flat_labels == 1)[0]
    sampled = torch.where(flat_labels >= 0)[0]
    rpn_coder = det_utils.BoxCoder(weights=(1.0, 1.0, 1.0, 1.0))
    rpn_targets = rpn_coder.encode_single(rpn_matched.reshape(-1, 4)[pos], anchors.repeat(N, 1)[pos])
    rpn_box = (
        F.smooth_l1_loss(rpn_deltas.reshape(-1, 4)[pos], rpn_targets, beta=1 / 9, reduction="sum") / sampled.numel()
    )
    rpn_objectness = F.binary_cross_entropy_with_logits(
        objectness.reshape(-1)[sampled], flat_labels[sampled].to(torch.float32)
    )

    # fastrcnn_loss on the sampled RoIs; a background row's target is never read, so it is 0.
    roi_flat = roi_labels.reshape(-1)
    keep = torch.where(roi_flat >= 0)[0]
    roi_coder = det_utils.BoxCoder(weights=(10.0, 10.0, 5.0, 5.0))
    matched = rois.reshape(-1, 4).clone()
    positive = roi_flat > 0
    matched[positive] = roi_matched.reshape(-1, 4)[positive]
    targets = roi_coder.encode_single(matched, rois.reshape(-1, 4))
    classifier, box_regression = fastrcnn_loss(
        class_logits.reshape(-1, CLASSES + 1)[keep],
        box_deltas.reshape(-1, 4 * (CLASSES + 1))[keep],
        [roi_flat[keep]],
        [targets[keep]],
    )
    total = rpn_objectness + rpn_box + classifier + box_regression
    total.backward()
    return {
        "numClasses": CLASSES,
        "imageSize": [SIZE, SIZE],
        "anchors": flat(anchors),
        "objectness": flat(objectness),
        "rpnDeltas": flat(rpn_deltas),
        "rpnLabels": [int(v) for v in rpn_labels.reshape(-1)],
        "rpnMatched": flat(rpn_matched),
        "rois": flat(rois),
        "classLogits": flat(class_logits),
        "boxDeltas": flat(box_deltas),
        "roiLabels": [int(v) for v in roi_labels.reshape(-1)],
        "roiMatched": flat(roi_matched),
        "losses": {
            "objectness": float(rpn_objectness),
            "rpnBoxRegression": float(rpn_box),
            "classifier": float(classifier),
            "boxRegression": float(box_regression),
        },
        "grads": {
            "objectness": flat(objectness.grad),
            "rpnDeltas": flat(rpn_deltas.grad),
            "classLogits": flat(class_logits.grad),
            "boxDeltas": flat(box_deltas.grad),
        },
    }


def inference_case(rng):
    rois = boxes(rng, N * R, spill=0.2).reshape(N, R, 4)
    # Some RoIs duplicated with a small shift, so per-class NMS has overlaps to suppress.
    rois[:, R // 2 :] = rois[:, : R // 2] + torch.tensor(rng.uniform(-2, 2, (N, R // 2, 4)).astype(np.float32))
    class_logits = torch.tensor(rng.normal(0, 2.5, (N, R, CLASSES + 1)).astype(np.float32))
    box_deltas = torch.tensor(rng.normal(0, 2, (N, R, 4 * (CLASSES + 1))).astype(np.float32))
    heads = RoIHeads(
        None, None, None, 0.5, 0.5, 512, 0.25, None, score_thresh=0.05, nms_thresh=0.5, detections_per_img=100
    )
    out_boxes, out_scores, out_labels = heads.postprocess_detections(
        class_logits.reshape(-1, CLASSES + 1),
        box_deltas.reshape(-1, 4 * (CLASSES + 1)),
        list(rois),
        [(SIZE, SIZE)] * N,
    )
    return {
        "numClasses": CLASSES,
        "imageSize": [SIZE, SIZE],
        "rois": flat(rois),
        "classLogits": flat(class_logits),
        "boxDeltas": flat(box_deltas),
        "detections": [
            {"boxes": flat(b), "scores": flat(s), "classes": [int(v) - 1 for v in l]}
            for b, s, l in zip(out_boxes, out_scores, out_labels)
        ],
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    data = {
        "generator": f"torch {torch.__version__}, torchvision {torchvision.__version__}",
        "training": training_case(np.random.default_rng(1901)),
        "inference": inference_case(np.random.default_rng(1902)),
    }
    with open(os.path.join(OUT, "detection-task.json"), "w") as f:
        json.dump(data, f)


if __name__ == "__main__":
    main()
