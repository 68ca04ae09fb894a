#!/usr/bin/python3
"""Writes the reference evaluators' numbers on seeded random detection cases, for cocoEvaluate and vocEvaluate.

Run with Debian's python3 and python3-numpy (pycocotools itself is not installed: its C part is
replaced here, see below), from anywhere:

    git clone https://github.com/cocodataset/cocoapi /tmp/cocoapi
    git -C /tmp/cocoapi checkout 8c9bcc3cf640524c4c20a9c40e89cb6a2f2fa0e9
    git clone https://github.com/endernewton/tf-faster-rcnn /tmp/tf-faster-rcnn
    git -C /tmp/tf-faster-rcnn checkout b4da911705925ec00e8359b76a2d7260f6d1d314
    /usr/bin/python3 packages/detection/scripts/eval-reference-fixtures.py /tmp/cocoapi /tmp/tf-faster-rcnn

It writes packages/detection/src/fixtures/coco-eval.json and voc-eval.json (committed, so the
tests need no Python; format them with `npx prettier --write` before committing). Both are the
same for the same upstream files: the cases come from fixed seeds.

COCO: pycocotools' own coco.py and cocoeval.py run unmodified (COCO(), loadRes, COCOeval(...,
'bbox') with evaluate/accumulate/summarize). Its compiled `_mask` module is not built here, so
`pycocotools.mask` is replaced by a module whose `iou` is the C `bbIou` of common/maskApi.c
line for line (crowd regions: intersection over the detection's area) with `_mask.pyx`'s
handling of empty inputs and its (detections × ground truth) shape; the mask functions coco.py
also imports are never reached on the bbox path and raise if they were. matplotlib, which coco.py
imports for drawing, is stubbed when missing. numpy ≥ 1.24 dropped the `np.float` alias that
accumulate() uses; it is put back as `float`, which it always was. Per-category AP is the mean
of `eval['precision'][:, :, k, 0, -1]` over entries > −1 (as detectron2 reports it).

VOC: py-faster-rcnn's lib/datasets/voc_eval.py is Python 2 (print statements, cPickle) and does
not run here, so this runs tf-faster-rcnn's Python 3 port of the same file (the same matching
and AP code, plus a guard for a class without detections), unmodified. That port writes its
annotation cache through a text-mode file, which Python 3 refuses, so the script writes the
cache itself with the module's own `parse_rec`, and voc_eval reads it. `np.bool` is put back as
`bool` as above. Ground-truth corners are integers (VOC's 1-based inclusive pixels, as the XML
holds them), detections quarter pixels, so moving x1/y1 by −1 for vocEvaluate's continuous
boxes is exact. The devkit sorts by `np.argsort(-confidence)`, an unstable quicksort: where a
class's tied scores would come out of it in another order than the stable one, that class's
scores are redrawn without ties. A class with no non-difficult box has AP null here (the devkit
divides by zero for it).
"""
import contextlib
import copy
import importlib.util
import io
import json
import os
import pickle
import subprocess
import sys
import tempfile
import types

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "fixtures")
COCO_CASES, VOC_CASES = 30, 24
SIDES = {"small": (4, 32), "medium": (32, 96), "large": (96, 300)}


def blob_sha(path):
    """The git blob id of a file, so the fixture names exactly which upstream text ran."""
    return subprocess.run(
        ["git", "hash-object", path], check=True, capture_output=True, text=True
    ).stdout.strip()


# ----------------------------------------------------------------------------- reference modules


def bb_iou(dt, gt, iscrowd):
    """common/maskApi.c's bbIou, in its order of operations; boxes are [x, y, w, h]."""
    out = np.zeros((len(dt), len(gt)))
    for g, G in enumerate(gt):
        ga = G[2] * G[3]
        crowd = bool(iscrowd[g])
        for d, D in enumerate(dt):
            da = D[2] * D[3]
            w = min(D[2] + D[0], G[2] + G[0]) - max(D[0], G[0])
            if w <= 0:
                continue
            h = min(D[3] + D[1], G[3] + G[1]) - max(D[1], G[1])
            if h <= 0:
                continue
            i = w * h
            out[d, g] = i / (da if crowd else da + ga - i)
    return out


def mask_stub():
    mask = types.ModuleType("pycocotools.mask")

    def iou(dt, gt, iscrowd):
        # _mask.pyx: an empty side gives [], boxes become float64 rows.
        if len(dt) == 0 or len(gt) == 0:
            return []
        return bb_iou(
            [[float(v) for v in b] for b in dt], [[float(v) for v in b] for b in gt], iscrowd
        )

    def unused(name):
        def fail(*args, **kwargs):
            raise NotImplementedError(f"pycocotools.mask.{name} is not on the bbox path")

        return fail

    mask.iou = iou
    for name in ("encode", "decode", "area", "toBbox", "merge", "frPyObjects"):
        setattr(mask, name, unused(name))
    return mask


def load_pycocotools(cocoapi):
    try:
        import matplotlib.pyplot  # noqa: F401
    except ImportError:
        for name in ("matplotlib", "matplotlib.pyplot", "matplotlib.collections", "matplotlib.patches"):
            sys.modules[name] = types.ModuleType(name)
        sys.modules["matplotlib"].pyplot = sys.modules["matplotlib.pyplot"]
        sys.modules["matplotlib.collections"].PatchCollection = object
        sys.modules["matplotlib.patches"].Polygon = object
    if "float" not in vars(np):
        np.float = float
    sys.path.insert(0, os.path.join(cocoapi, "PythonAPI"))
    import pycocotools

    sys.modules["pycocotools.mask"] = pycocotools.mask = mask_stub()
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    return COCO, COCOeval


def load_voc_eval(tf_faster_rcnn):
    if "bool" not in vars(np):
        np.bool = bool
    path = os.path.join(tf_faster_rcnn, "lib", "datasets", "voc_eval.py")
    spec = importlib.util.spec_from_file_location("voc_eval", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, path


# ----------------------------------------------------------------------------- random boxes


def random_box(rng, size, width=640, height=480):
    """[x1, y1, x2, y2] whose sqrt(area) lies in the size class's range."""
    lo, hi = SIDES[size]
    side = np.exp(rng.uniform(np.log(lo), np.log(hi)))
    aspect = np.exp(rng.uniform(np.log(0.5), np.log(2)))
    w, h = side * np.sqrt(aspect), side / np.sqrt(aspect)
    x, y = rng.uniform(0, width - w), rng.uniform(0, height - h)
    return [x, y, x + w, y + h]


def jitter(rng, box, amount):
    """Each edge moved by a normal step of `amount` times the box's side (partial overlaps)."""
    w, h = box[2] - box[0], box[3] - box[1]
    x1, y1, x2, y2 = (v + rng.normal(0, amount) * s for v, s in zip(box, (w, h, w, h)))
    return [min(x1, x2 - 1), min(y1, y2 - 1), max(x2, x1 + 1), max(y2, y1 + 1)]


def snap(value, grid):
    """The nearest multiple of `grid` (1, 0.25, 0.1 or 0.01), written as its shortest decimal."""
    return round(round(value / grid) * grid, 2)


def score_draw(rng, mode, hit):
    """Hits score higher on average, so AP lands anywhere in (0, 1); coarse modes make ties."""
    u = rng.uniform(0.35, 1.0) if hit else rng.uniform(0.0, 0.8)
    if mode == "few":
        return [0.3, 0.5, 0.7, 0.9][min(int(u * 4), 3)]
    return round(u, 2 if mode == "coarse" else 6)


# ----------------------------------------------------------------------------- COCO


def coco_case(c):
    rng = np.random.default_rng(2000 + c)
    grid = [1, 0.25, 0.1, 0.01][c % 4]  # integers, quarters (exact in binary), decimals (inexact)
    mode = ["fine", "coarse", "few"][c % 3]
    image_ids = [int(i) for i in rng.choice(np.arange(1, 1000), int(rng.integers(2, 7)), replace=False)]
    cat_ids = [int(k) for k in rng.choice(np.arange(1, 91), int(rng.integers(2, 5)), replace=False)]
    # Some cases leave their last category without ground truth (detections of it only).
    gt_cats = cat_ids[:-1] if c % 3 == 1 else cat_ids
    annotations, detections = [], []

    def add_det(image, cat, box, hit):
        x1, y1, x2, y2 = (snap(v, grid) for v in box)
        if x2 > x1 and y2 > y1:
            detections.append({"image_id": image, "category_id": cat,
                               "bbox": [x1, y1, snap(x2 - x1, grid), snap(y2 - y1, grid)],
                               "score": score_draw(rng, mode, hit)})

    def add_gt(image, cat, size, crowd):
        """A random object; its [x1, y1, x2, y2], or None where snapping left it empty."""
        box = [snap(v, grid) for v in random_box(rng, size)]
        w, h = snap(box[2] - box[0], grid), snap(box[3] - box[1], grid)
        if w <= 0 or h <= 0:
            return None
        pick = rng.random()
        # COCO's area is the mask's: mostly less than w·h; sometimes right on a range edge.
        area = w * h if pick < 0.55 else round(w * h * rng.uniform(0.3, 1), 2) if pick < 0.9 \
            else float(rng.choice([32 ** 2, 96 ** 2]))
        annotations.append({"id": len(annotations) + 1, "image_id": image, "category_id": cat,
                            "bbox": [box[0], box[1], w, h], "area": area, "iscrowd": int(crowd)})
        return [box[0], box[1], box[0] + w, box[1] + h]

    for image in image_ids:
        empty_gt = rng.random() < 0.2
        for cat in cat_ids:
            count = 0 if empty_gt or cat not in gt_cats else int(rng.integers(0, 5))
            for _ in range(count):
                crowd = rng.random() < 0.12
                gt = add_gt(image, cat, "large" if crowd else rng.choice(list(SIDES)), crowd)
                if gt is None:
                    continue
                w, h = gt[2] - gt[0], gt[3] - gt[1]
                if crowd:
                    for _ in range(int(rng.integers(0, 4))):  # detections inside the crowd region
                        add_det(image, cat, jitter(rng, [gt[0] + w / 4, gt[1] + h / 4, gt[2] - w / 2,
                                                         gt[3] - h / 2], 0.2), True)
                    continue
                if rng.random() < 0.75:
                    add_det(image, cat, jitter(rng, gt, rng.uniform(0.02, 0.3)), True)
                if rng.random() < 0.15:  # a duplicate
                    add_det(image, cat, jitter(rng, gt, 0.05), True)
                if rng.random() < 0.12:  # IoU right on a threshold: the top part of the box
                    s = float(rng.choice([0.5, 0.55, 0.6, 0.75, 0.8, 0.9, 0.95]))
                    add_det(image, cat, [gt[0], gt[1], gt[2], gt[1] + h * s], True)
            for _ in range(int(rng.poisson(1.2))):  # false positives, some exactly 32² or 96²
                if rng.random() < 0.15:
                    side = float(rng.choice([32, 96]))
                    x, y = snap(rng.uniform(0, 400), grid), snap(rng.uniform(0, 300), grid)
                    add_det(image, cat, [x, y, x + side, y + side], False)
                else:
                    add_det(image, cat, random_box(rng, rng.choice(list(SIDES))), False)
        if rng.random() < 0.15:  # a detection of a category the ground truth does not list
            add_det(image, 999, random_box(rng, "medium"), False)
    if c % 10 == 5:  # more than 100 detections on one image and category: pycocotools keeps the best 100
        image, cat = image_ids[0], gt_cats[0]
        for _ in range(20):  # objects found by detections scored like misses, so the cut drops some
            gt = add_gt(image, cat, "medium", False)
            if gt is not None:
                add_det(image, cat, jitter(rng, gt, 0.05), False)
        for _ in range(110):  # false positives scored like hits
            add_det(image, cat, random_box(rng, "small"), True)
    # Some images end up with no detections at all (never the first: it holds the >100 case).
    dropped = {i for i in image_ids[1:] if rng.random() < 0.2}
    kept = [d for d in detections if d["image_id"] not in dropped]
    detections = kept if kept else detections  # loadRes needs at least one detection
    order = rng.permutation(len(image_ids))
    ground_truth = {
        "images": [{"id": image_ids[i]} for i in order],
        "annotations": annotations,
        "categories": [{"id": k, "name": f"c{k}"} for k in cat_ids],
    }
    return ground_truth, detections


def coco_reference(COCO, COCOeval, ground_truth, detections):
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = copy.deepcopy(ground_truth)
        gt.createIndex()
        dt = gt.loadRes(copy.deepcopy(detections))
        e = COCOeval(gt, dt, "bbox")
        e.evaluate()
        e.accumulate()
        e.summarize()
    per_category = []
    for k, cat in enumerate(e.params.catIds):
        p = e.eval["precision"][:, :, k, 0, -1]
        per_category.append({"categoryId": int(cat), "AP": float(np.mean(p[p > -1])) if (p > -1).any() else -1})
    return [float(s) for s in e.stats], per_category


def coco_coverage(cases):
    """What the cases exercise, to check at a glance that each situation occurs."""
    count = dict.fromkeys(["images without ground truth", "images without detections", "crowd regions",
                           "areas unlike w·h", "categories without ground truth", "tied scores",
                           "image-categories over 100 detections"], 0)
    for case in cases:
        gt, dts = case["groundTruth"], case["detections"]
        for image in gt["images"]:
            count["images without ground truth"] += not any(a["image_id"] == image["id"] for a in gt["annotations"])
            count["images without detections"] += not any(d["image_id"] == image["id"] for d in dts)
        count["crowd regions"] += sum(a["iscrowd"] for a in gt["annotations"])
        count["areas unlike w·h"] += sum(a["area"] != a["bbox"][2] * a["bbox"][3] for a in gt["annotations"])
        count["categories without ground truth"] += sum(c["AP"] == -1 for c in case["perCategory"])
        scores = [d["score"] for d in dts]
        count["tied scores"] += len(scores) - len(set(scores))
        per = {}
        for d in dts:
            per[d["image_id"], d["category_id"]] = per.get((d["image_id"], d["category_id"]), 0) + 1
        count["image-categories over 100 detections"] += sum(n > 100 for n in per.values())
    return count


# ----------------------------------------------------------------------------- VOC


def voc_case(c):
    rng = np.random.default_rng(3000 + c)
    mode = ["fine", "coarse", "few"][c % 3]
    names = [f"{int(i):06d}" for i in rng.choice(np.arange(1, 10000), int(rng.integers(2, 7)), replace=False)]
    labels = list(range(1, int(rng.integers(2, 5)) + 1))
    images = {n: [] for n in names}  # name → [(label, [xmin, ymin, xmax, ymax], difficult)]
    dets = {l: [] for l in labels + [len(labels) + 1]}  # the last label has no ground truth

    def add_det(name, label, box, hit):
        x1, y1, x2, y2 = (snap(v, 0.25) for v in box)
        if x2 > x1 and y2 > y1:  # stored as the devkit reads boxes: x1 + 1 .. x2 spans x2 − x1
            dets[label].append([name, score_draw(rng, mode, hit), x1 + 1, y1 + 1, x2, y2])

    for name in names:
        if rng.random() < 0.2:
            continue  # no objects in this image
        for label in labels:
            for _ in range(int(rng.integers(0, 4))):
                x1, y1, x2, y2 = random_box(rng, rng.choice(list(SIDES)))
                box = [int(x1) + 1, int(y1) + 1, int(x2) + 1, int(y2) + 1]
                images[name].append((label, box, int(rng.random() < 0.15)))
                # Continuous extent [xmin − 1, xmax]: what the devkit's "+ 1" widths measure.
                gt = [box[0] - 1, box[1] - 1, box[2], box[3]]
                if label == labels[-1] and c % 2 == 0:
                    continue  # a class with ground truth but no detections
                if rng.random() < 0.75:
                    add_det(name, label, jitter(rng, gt, rng.uniform(0.02, 0.3)), True)
                if rng.random() < 0.15:
                    add_det(name, label, jitter(rng, gt, 0.05), True)
                if rng.random() < 0.12 and (box[3] - box[1] + 1) % 2 == 0:
                    # IoU exactly 0.5 (the top half): not a hit, the devkit needs IoU > 0.5.
                    add_det(name, label, [gt[0], gt[1], gt[2], gt[1] + (gt[3] - gt[1]) / 2], True)
        for label in dets:
            for _ in range(int(rng.poisson(1.0))):
                add_det(name, label, random_box(rng, rng.choice(list(SIDES))), False)
    for label, rows in dets.items():
        scores = np.array([r[1] for r in rows])
        if not np.array_equal(np.argsort(-scores), np.argsort(-scores, kind="stable")):
            for r in rows:
                r[1] = round(float(rng.uniform(0, 1)), 9)
            assert len({r[1] for r in rows}) == len(rows)
    threshold = [0.5, 0.5, 0.7, 0.3][c % 4]
    return names, images, dets, threshold


def write_voc_files(folder, voc_eval, names, images, dets):
    os.makedirs(os.path.join(folder, "Annotations"))
    for name in names:
        objects = "".join(
            f"<object><name>c{label}</name><pose>Unspecified</pose><truncated>0</truncated>"
            f"<difficult>{hard}</difficult><bndbox><xmin>{b[0]}</xmin><ymin>{b[1]}</ymin>"
            f"<xmax>{b[2]}</xmax><ymax>{b[3]}</ymax></bndbox></object>"
            for label, b, hard in images[name]
        )
        with open(os.path.join(folder, "Annotations", f"{name}.xml"), "w") as f:
            f.write(f"<annotation><filename>{name}.jpg</filename>{objects}</annotation>")
    imageset = os.path.join(folder, "test.txt")
    with open(imageset, "w") as f:
        f.write("".join(f"{n}\n" for n in names))
    for label, rows in dets.items():
        with open(os.path.join(folder, f"det_c{label}.txt"), "w") as f:
            f.write("".join(" ".join([r[0]] + [repr(float(v)) for v in r[1:]]) + "\n" for r in rows))
    # voc_eval would write this cache through a text-mode file (a TypeError in Python 3).
    cachedir = os.path.join(folder, "cache")
    os.makedirs(cachedir)
    recs = {n: voc_eval.parse_rec(os.path.join(folder, "Annotations", f"{n}.xml")) for n in names}
    with open(os.path.join(cachedir, "%s_annots.pkl" % imageset), "wb") as f:
        pickle.dump(recs, f)
    return imageset, cachedir


def voc_reference(voc_eval, names, images, dets, threshold):
    out = []
    with tempfile.TemporaryDirectory() as folder:
        imageset, cachedir = write_voc_files(folder, voc_eval, names, images, dets)
        for label in dets:
            boxes = [hard for n in names for l, _, hard in images[n] if l == label]
            if not boxes and not dets[label]:
                continue  # in neither list: vocEvaluate does not name the class
            npos = boxes.count(0)
            row = {"label": label, "numGroundTruth": npos}
            for key, use07 in (("AP07", True), ("APArea", False)):
                with np.errstate(divide="ignore", invalid="ignore"), contextlib.redirect_stdout(io.StringIO()):
                    _, _, ap = voc_eval.voc_eval(
                        os.path.join(folder, "det_{:s}.txt"),
                        os.path.join(folder, "Annotations", "{:s}.xml"),
                        imageset, f"c{label}", cachedir, ovthresh=threshold, use_07_metric=use07,
                    )
                row[key] = float(ap) if npos > 0 else None
            out.append(row)
    return out


# ----------------------------------------------------------------------------- main


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: eval-reference-fixtures.py COCOAPI_CHECKOUT TF_FASTER_RCNN_CHECKOUT")
    cocoapi, tf_faster_rcnn = sys.argv[1:]
    COCO, COCOeval = load_pycocotools(cocoapi)
    voc_eval, voc_path = load_voc_eval(tf_faster_rcnn)
    py = os.path.join(cocoapi, "PythonAPI", "pycocotools")

    coco_cases = []
    for c in range(COCO_CASES):
        ground_truth, detections = coco_case(c)
        stats, per_category = coco_reference(COCO, COCOeval, ground_truth, detections)
        coco_cases.append({"groundTruth": ground_truth, "detections": detections,
                           "stats": stats, "perCategory": per_category})
    print(coco_coverage(coco_cases), file=sys.stderr)
    with open(os.path.join(OUT, "coco-eval.json"), "w") as f:
        json.dump({"generator": f"pycocotools cocoeval.py blob {blob_sha(os.path.join(py, 'cocoeval.py'))}, "
                                f"coco.py blob {blob_sha(os.path.join(py, 'coco.py'))} "
                                f"(cocodataset/cocoapi 8c9bcc3c), numpy {np.__version__}",
                   "cases": coco_cases}, f)

    voc_cases = []
    for c in range(VOC_CASES):
        names, images, dets, threshold = voc_case(c)
        per_class = voc_reference(voc_eval, names, images, dets, threshold)
        voc_cases.append({
            "iouThreshold": threshold,
            "groundTruth": [{"id": n, "objects": [{"label": l, "box": b, "difficult": bool(h)}
                                                  for l, b, h in images[n]]} for n in names],
            "detections": [{"imageId": r[0], "label": label, "box": r[2:], "score": r[1]}
                           for label, rows in dets.items() for r in rows],
            "perClass": per_class,
        })
    with open(os.path.join(OUT, "voc-eval.json"), "w") as f:
        json.dump({"generator": f"voc_eval.py blob {blob_sha(voc_path)} "
                                f"(endernewton/tf-faster-rcnn b4da9117), numpy {np.__version__}",
                   "cases": voc_cases}, f)


if __name__ == "__main__":
    main()
