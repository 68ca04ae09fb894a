#!/usr/bin/python3
"""Writes the reference numbers @perturb/detection's tests compare against, from torchvision.

Run from anywhere with Debian's python3-torch and python3-torchvision installed:

    /usr/bin/python3 packages/detection/scripts/roi-align-fixtures.py

It writes JSON files into packages/detection/src/fixtures/ (committed, so the tests need no
Python): RoIAlign values and feature gradients, batched NMS, anchors, the matcher, the box
coder and the GIoU / smooth-L1 losses. Tensors are stored flat, in the layout the TypeScript
side uses (NHWC features, [K, PH, PW, C] RoIAlign outputs). Inputs are float32 numbers; RoIAlign
is evaluated in float64 so the reference is the exact map of those inputs.
"""
import json
import math
import os

import numpy as np
import torch
import torchvision
from torchvision.models.detection import _utils as det_utils
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.image_list import ImageList
from torchvision.models.detection.rpn import RegionProposalNetwork
from torchvision.ops import MultiScaleRoIAlign, batched_nms, box_iou, generalized_box_iou_loss, roi_align

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "fixtures")


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def random_boxes(rng, count, width, height, min_size=0.5, spill=0.0):
    """Boxes [x1, y1, x2, y2] in float32, allowed to spill `spill` of the image past each edge."""
    x1 = rng.uniform(-spill * width, width * (1 + spill) - min_size, count)
    y1 = rng.uniform(-spill * height, height * (1 + spill) - min_size, count)
    w = rng.uniform(min_size, width * 0.8, count)
    h = rng.uniform(min_size, height * 0.8, count)
    return np.stack([x1, y1, x1 + w, y1 + h], axis=1).astype(np.float32)


def roi_align_cases(rng):
    cases = []
    settings = [
        # (N, C, H, W, K, output (ph, pw), spatial_scale, sampling_ratio, aligned, spill)
        (2, 3, 9, 11, 12, (3, 4), 0.5, 2, False, 0.1),
        (2, 3, 9, 11, 12, (3, 4), 0.5, 2, True, 0.1),
        (2, 4, 10, 8, 10, (2, 2), 0.25, -1, False, 0.2),
        (2, 4, 10, 8, 10, (2, 2), 0.25, -1, True, 0.2),
        (1, 2, 7, 7, 8, (7, 7), 1.0, 0, True, 0.3),
        (3, 5, 6, 13, 15, (5, 3), 0.125, 3, False, 0.5),
        (1, 1, 16, 16, 6, (4, 4), 1.0, -1, False, 0.0),
    ]
    for n, c, h, w, k, (ph, pw), scale, ratio, aligned, spill in settings:
        features = torch.tensor(rng.standard_normal((n, c, h, w)).astype(np.float32))
        image_w, image_h = w / scale, h / scale
        boxes = random_boxes(rng, k, image_w, image_h, min_size=0.2 / scale, spill=spill)
        # A few tiny and degenerate boxes, where the 1-pixel minimum and `aligned` differ most.
        boxes[0] = np.array([1.0, 1.0, 1.0 + 0.3 / scale, 1.0 + 0.2 / scale], dtype=np.float32)
        boxes[1] = np.array([2.0, 3.0, 2.0, 3.0], dtype=np.float32)
        image_index = rng.integers(0, n, k)
        rois = torch.cat(
            [torch.tensor(image_index, dtype=torch.float64)[:, None], torch.tensor(boxes, dtype=torch.float64)], dim=1
        )
        x = features.double().requires_grad_(True)
        out = roi_align(x, rois, output_size=(ph, pw), spatial_scale=scale, sampling_ratio=ratio, aligned=aligned)
        upstream = torch.tensor(rng.standard_normal(out.shape).astype(np.float32)).double()
        (out * upstream).sum().backward()
        cases.append(
            {
                "featureShape": [n, h, w, c],
                "features": flat(features.permute(0, 2, 3, 1)),
                "boxes": flat(torch.tensor(boxes)),
                "boxImageIndex": [int(i) for i in image_index],
                "outputSize": [ph, pw],
                "spatialScale": scale,
                "samplingRatio": ratio,
                "aligned": aligned,
                "output": flat(out.permute(0, 2, 3, 1)),
                "upstream": flat(upstream.permute(0, 2, 3, 1)),
                "featureGrad": flat(x.grad.permute(0, 2, 3, 1)),
            }
        )
    return cases


def multiscale_cases(rng):
    """MultiScaleRoIAlign over a 4-level pyramid; canonical scale 32 so small images use every level."""
    cases = []
    for image, channels, count, canonical, ratio, output in [((64, 64), 3, 24, 32, 2, (3, 3)), ((64, 48), 2, 20, 24, -1, (2, 4))]:
        h, w = image
        names = ["p2", "p3", "p4", "p5"]
        maps = {n: torch.tensor(rng.standard_normal((2, channels, h // 2 ** (l + 2), w // 2 ** (l + 2))).astype(np.float32)) for l, n in enumerate(names)}
        boxes = random_boxes(rng, count, w, h, min_size=2)
        image_index = np.sort(rng.integers(0, 2, count))
        per_image = [torch.tensor(boxes[image_index == i]) for i in range(2)]
        pooler = MultiScaleRoIAlign(names, output, ratio, canonical_scale=canonical, canonical_level=4)
        inputs = {n: m.clone().requires_grad_(True) for n, m in maps.items()}
        out = pooler(inputs, per_image, [image, image])
        upstream = torch.tensor(rng.standard_normal(out.shape).astype(np.float32))
        (out * upstream).sum().backward()
        ordered = np.concatenate([boxes[image_index == i] for i in range(2)])
        cases.append(
            {
                "imageSize": list(image),
                "canonicalScale": canonical,
                "samplingRatio": ratio,
                "outputSize": list(output),
                "featureShapes": [list(m.permute(0, 2, 3, 1).shape) for m in maps.values()],
                "features": [flat(m.permute(0, 2, 3, 1)) for m in maps.values()],
                "boxes": flat(torch.tensor(ordered)),
                "boxImageIndex": [int(i) for i in np.sort(image_index)],
                "output": flat(out.permute(0, 2, 3, 1)),
                "upstream": flat(upstream.permute(0, 2, 3, 1)),
                "featureGrads": [flat(inputs[n].grad.permute(0, 2, 3, 1)) for n in names],
            }
        )
    return cases


def nms_cases(rng):
    cases = []
    for count, classes, threshold in [(60, 1, 0.5), (200, 5, 0.5), (200, 5, 0.3), (300, 8, 0.7), (150, 3, 0.45)]:
        centres = rng.uniform(0, 100, (8, 2))
        pick = rng.integers(0, len(centres), count)
        cx = centres[pick, 0] + rng.normal(0, 4, count)
        cy = centres[pick, 1] + rng.normal(0, 4, count)
        w = rng.uniform(5, 30, count)
        h = rng.uniform(5, 30, count)
        boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1).astype(np.float32)
        scores = rng.permutation(count).astype(np.float32) / count + rng.uniform(0, 0.5 / count, count).astype(np.float32)
        labels = rng.integers(0, classes, count)
        keep = batched_nms(torch.tensor(boxes), torch.tensor(scores), torch.tensor(labels), threshold)
        cases.append(
            {
                "boxes": flat(torch.tensor(boxes)),
                "scores": flat(torch.tensor(scores)),
                "classes": [int(v) for v in labels],
                "iouThreshold": threshold,
                "keep": [int(v) for v in keep],
            }
        )
    return cases


def proposal_cases(rng):
    """RegionProposalNetwork.filter_proposals on random proposals (some outside the image, some tiny)."""
    cases = []
    for per_level, image, pre, post, thresh, score in [([300, 120, 40], (60, 80), 100, 50, 0.7, 0.0), ([200, 50], (40, 30), 60, 80, 0.5, 0.3)]:
        count = sum(per_level)
        h, w = image
        boxes = random_boxes(rng, count, w, h, min_size=0.5, spill=0.2)
        boxes[:10, 2] = boxes[:10, 0] + 0.0005  # narrower than min_size
        logits = rng.normal(0, 2, count).astype(np.float32)
        rpn = RegionProposalNetwork(
            None, torch.nn.Identity(), 0.7, 0.3, 256, 0.5,
            dict(training=pre, testing=pre), dict(training=post, testing=post), thresh, score_thresh=score,
        )
        rpn.eval()
        kept, scores = rpn.filter_proposals(torch.tensor(boxes)[None], torch.tensor(logits)[None], [image], per_level)
        cases.append(
            {
                "proposals": flat(torch.tensor(boxes)),
                "objectness": flat(torch.tensor(logits)),
                "anchorsPerLevel": per_level,
                "imageSize": list(image),
                "preNmsTopN": pre,
                "postNmsTopN": post,
                "nmsThreshold": thresh,
                "scoreThreshold": score,
                "boxes": flat(kept[0]),
                "scores": flat(scores[0]),
            }
        )
    return cases


def anchor_cases():
    cases = []
    for sizes, ratios, image, features in [
        (((32,), (64,), (128,)), ((0.5, 1.0, 2.0),) * 3, (64, 80), [(16, 20), (8, 10), (4, 5)]),
        (((16, 24), (45,)), ((0.5, 1.0, 2.0), (0.25, 1.0, 3.0)), (50, 37), [(13, 10), (7, 5)]),
    ]:
        generator = AnchorGenerator(sizes, ratios)
        images = ImageList(torch.zeros(1, 3, *image), [image])
        maps = [torch.zeros(1, 1, h, w) for h, w in features]
        anchors = generator(images, maps)[0]
        cases.append(
            {
                "sizes": [list(s) for s in sizes],
                "aspectRatios": [list(r) for r in ratios],
                "imageSize": list(image),
                "featureSizes": [list(f) for f in features],
                "anchors": flat(anchors),
            }
        )
    return cases


def matcher_cases(rng):
    cases = []
    for gts, preds, high, low, low_quality in [(4, 50, 0.7, 0.3, True), (4, 50, 0.5, 0.5, False), (6, 80, 0.6, 0.4, True)]:
        gt = torch.tensor(random_boxes(rng, gts, 60, 60, min_size=5))
        pred = torch.tensor(random_boxes(rng, preds, 60, 60, min_size=5))
        quality = box_iou(gt, pred)
        matcher = det_utils.Matcher(high, low, allow_low_quality_matches=low_quality)
        cases.append(
            {
                "groundTruth": flat(gt),
                "predictions": flat(pred),
                "highThreshold": high,
                "lowThreshold": low,
                "allowLowQualityMatches": low_quality,
                "iou": flat(quality),
                "matches": [int(v) for v in matcher(quality)],
            }
        )
    return cases


def box_cases(rng):
    references = torch.tensor(random_boxes(rng, 20, 50, 40, min_size=2))
    targets = torch.tensor(random_boxes(rng, 20, 50, 40, min_size=2))
    coder = det_utils.BoxCoder(weights=(10.0, 10.0, 5.0, 5.0))
    deltas = coder.encode_single(targets, references)
    codes = torch.tensor(rng.normal(0, 2, (20, 12)).astype(np.float32))
    codes[0, 2] = 9.0  # beyond the log-scale clamp
    decoded = coder.decode_single(codes, references)
    predicted = targets + torch.tensor(rng.normal(0, 3, (20, 4)).astype(np.float32))
    predicted = torch.stack(
        [predicted[:, 0], predicted[:, 1], torch.maximum(predicted[:, 2], predicted[:, 0] + 0.5), torch.maximum(predicted[:, 3], predicted[:, 1] + 0.5)],
        dim=1,
    ).detach()
    p = predicted.double().requires_grad_(True)
    giou = generalized_box_iou_loss(p, targets.double(), reduction="none")
    giou.sum().backward()
    s = p.detach().clone().requires_grad_(True)
    smooth = torch.nn.functional.smooth_l1_loss(s, targets.double(), beta=1 / 9, reduction="sum")
    smooth.backward()
    return {
        "references": flat(references),
        "targets": flat(targets),
        "deltas": flat(deltas),
        "codes": flat(codes),
        "decoded": flat(decoded),
        "iou": flat(box_iou(references, targets)),
        "predicted": flat(predicted),
        "giou": flat(giou),
        "giouGrad": flat(p.grad),
        "smoothL1": float(smooth),
        "smoothL1Grad": flat(s.grad),
    }


def write(name, data):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump({"generator": f"torch {torch.__version__}, torchvision {torchvision.__version__}", **data}, f)
        f.write("\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(19)
    write("roi-align.json", {"cases": roi_align_cases(rng)})
    write("nms.json", {"cases": nms_cases(rng)})
    write("anchors.json", {"cases": anchor_cases(), "matcher": matcher_cases(rng)})
    write("boxes.json", box_cases(rng))
    write("multiscale-roi-align.json", {"cases": multiscale_cases(np.random.default_rng(1919))})
    write("proposals.json", {"cases": proposal_cases(np.random.default_rng(1920))})
    print("fixtures written to", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
