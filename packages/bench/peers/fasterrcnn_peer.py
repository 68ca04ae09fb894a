"""PyTorch peer: Faster R-CNN with a ResNet + FPN backbone, for side-by-side speed comparisons with
perturb's FasterRcnn (@perturb/detection) on the same machine.

  python3 fasterrcnn_peer.py --bench                    # ms per SGD step, random images and boxes
  python3 fasterrcnn_peer.py --bench --fpn-channels 128 --roi-samples 128
  python3 fasterrcnn_peer.py --shapes                   # parameters, anchors, a forward pass; no timing

Built from Debian's python3-torchvision detection pieces: the backbone is a ResNet of basic blocks
(torchvision.models.resnet.BasicBlock; stages of width, 2·width, 4·width, 8·width channels) with
a CIFAR-sized stem (3x3/2 conv) or the ImageNet one (7x7/2 conv + 3x3/2 max pool), under
torchvision's BackboneWithFPN (1x1 laterals, nearest 2x top-down, 3x3 outputs, LastLevelMaxPool),
as resnet_fpn_backbone builds it but at any width, with ordinary trainable BatchNorm (perturb's
backbone trains its BatchNorm; resnet_fpn_backbone would freeze it and the stem). Then
torchvision's FasterRCNN: AnchorGenerator (one size a level, the same aspect ratios everywhere),
RPNHead, RPN matching 0.7/0.3 with `--rpn-samples` anchors an image at 0.5 positive, proposals
pre/post NMS top-n per level, MultiScaleRoIAlign to 7x7 (sampling ratio 2) on the four FPN levels,
TwoMLPHead, FastRCNNPredictor, RoI matching 0.5 with `--roi-samples` RoIs an image at 0.25
positive (the level a RoI is pooled from: --canonical-scale at level 4). GeneralizedRCNNTransform
keeps the image size (min_size = max_size = --size) and normalises with --mean/--std (by default
0 and 1: perturb's FasterRcnn takes images as they are). Loss: the sum of torchvision's four
losses. SGD (lr 0.01 by default), Nesterov momentum 0.9, weight decay 5e-4. Images are normal
noise, each with --objects boxes of 14..42 pixels a side (Fashion-MNIST scenes' garment sizes)
and uniform classes. Needs Debian's python3-torch and python3-torchvision. Prints one JSON line.
"""
import argparse, json, os, time

import numpy as np
import torch
import torch.nn as nn
from torchvision.models import resnet
from torchvision.models.detection import FasterRCNN
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.backbone_utils import BackboneWithFPN
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.ops import MultiScaleRoIAlign
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool


class ResNetBody(nn.Module):
    """The stem and four stages of basic blocks; BackboneWithFPN reads layer1..layer4."""

    def __init__(self, in_ch, width, blocks, stem):
        super().__init__()
        if stem == "imagenet":
            self.stem = nn.Sequential(nn.Conv2d(in_ch, width, 7, 2, 3, bias=False), nn.BatchNorm2d(width),
                                      nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1))
        else:
            self.stem = nn.Sequential(nn.Conv2d(in_ch, width, 3, 2, 1, bias=False), nn.BatchNorm2d(width),
                                      nn.ReLU(inplace=True))
        cin = width
        for s, n in enumerate(blocks):
            planes, stride = width * 2 ** s, 1 if s == 0 else 2
            layers = []
            for b in range(n):
                down = None
                if b == 0 and (stride != 1 or cin != planes):
                    down = nn.Sequential(resnet.conv1x1(cin, planes, stride), nn.BatchNorm2d(planes))
                layers.append(resnet.BasicBlock(cin, planes, stride if b == 0 else 1, down))
                cin = planes
            setattr(self, f"layer{s + 1}", nn.Sequential(*layers))

    def forward(self, x):
        x = self.stem(x)
        for s in range(1, 5):
            x = getattr(self, f"layer{s}")(x)
        return x


def build(a):
    body = ResNetBody(a.channels, a.width, a.blocks, a.stem)
    backbone = BackboneWithFPN(body, {f"layer{s}": str(s - 1) for s in range(1, 5)},
                               [a.width * 2 ** s for s in range(4)], a.fpn_channels,
                               extra_blocks=LastLevelMaxPool())
    anchors = AnchorGenerator(tuple((s,) for s in a.anchor_sizes), (tuple(a.aspect_ratios),) * len(a.anchor_sizes))
    pool = MultiScaleRoIAlign(["0", "1", "2", "3"], output_size=7, sampling_ratio=2,
                              canonical_scale=a.canonical_scale)
    return FasterRCNN(
        backbone, min_size=a.size, max_size=a.size, image_mean=a.mean, image_std=a.std,
        rpn_anchor_generator=anchors,
        rpn_pre_nms_top_n_train=a.rpn_pre_nms_train, rpn_post_nms_top_n_train=a.rpn_post_nms_train,
        rpn_pre_nms_top_n_test=a.rpn_pre_nms_test, rpn_post_nms_top_n_test=a.rpn_post_nms_test,
        rpn_batch_size_per_image=a.rpn_samples, rpn_positive_fraction=0.5,
        box_roi_pool=pool, box_head=TwoMLPHead(a.fpn_channels * 7 * 7, a.mlp),
        box_predictor=FastRCNNPredictor(a.mlp, a.classes + 1),
        box_batch_size_per_image=a.roi_samples, box_positive_fraction=0.25,
        box_detections_per_img=a.detections)


def random_targets(a, gen):
    """`--objects` boxes an image, sides 14..42 px inside the image, classes 1..C (0 = background)."""
    targets = []
    for _ in range(a.batch):
        side = torch.randint(14, 43, (a.objects, 2), generator=gen).float()
        corner = torch.rand(a.objects, 2, generator=gen) * (a.size - side)
        targets.append(dict(boxes=torch.cat([corner, corner + side], 1),
                            labels=torch.randint(1, a.classes + 1, (a.objects,), generator=gen)))
    return targets


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--channels", type=int, default=1, help="image channels")
    ap.add_argument("--size", type=int, default=64, help="image side (kept: no resizing)")
    ap.add_argument("--classes", type=int, default=10, help="object classes, background not counted")
    ap.add_argument("--objects", type=int, default=3, help="ground-truth boxes an image")
    ap.add_argument("--width", type=int, default=16, help="channels of the first ResNet stage")
    ap.add_argument("--blocks", type=int, nargs=4, default=[2, 2, 2, 2])
    ap.add_argument("--stem", choices=["cifar", "imagenet"], default="cifar")
    ap.add_argument("--fpn-channels", type=int, default=64)
    ap.add_argument("--anchor-sizes", type=float, nargs=5, default=[12, 18, 27, 40, 60],
                    help="anchor side of each pyramid level, finest first")
    ap.add_argument("--aspect-ratios", type=float, nargs="+", default=[0.5, 1.0, 2.0])
    ap.add_argument("--rpn-pre-nms-train", type=int, default=200)
    ap.add_argument("--rpn-post-nms-train", type=int, default=100)
    ap.add_argument("--rpn-pre-nms-test", type=int, default=100)
    ap.add_argument("--rpn-post-nms-test", type=int, default=50)
    ap.add_argument("--rpn-samples", type=int, default=256, help="anchors sampled an image")
    ap.add_argument("--roi-samples", type=int, default=64, help="RoIs sampled an image")
    ap.add_argument("--mlp", type=int, default=256, help="width of the box head's two FC layers")
    ap.add_argument("--canonical-scale", type=int, default=112,
                    help="RoI side pooled from level 4 (torchvision: 224; the CIFAR stem's pyramid is one level finer)")
    ap.add_argument("--detections", type=int, default=100, help="detections an image at inference")
    ap.add_argument("--mean", type=float, nargs="+", default=[0.0], help="perturb's model takes images as they are")
    ap.add_argument("--std", type=float, nargs="+", default=[1.0])
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--bench", action="store_true")
    ap.add_argument("--shapes", action="store_true", help="parameters, anchors and one eval forward pass")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0, help="0: all cores")
    a = ap.parse_args()
    if len(a.mean) != a.channels or len(a.std) != a.channels:
        ap.error(f"--mean and --std need one value per image channel ({a.channels})")
    stride = (4 if a.stem == "imagenet" else 2) * 8 * 2  # layer4's stride, then the max-pooled level
    if a.size % stride:
        ap.error(f"--size {a.size} must be a multiple of {stride}, the coarsest pyramid stride")
    torch.set_num_threads(a.threads or os.cpu_count())
    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed)
    model = build(a)
    images = list(torch.randn(a.batch, a.channels, a.size, a.size, generator=gen))
    targets = random_targets(a, gen)
    out = dict(peer="pytorch-fasterrcnn", torch=torch.__version__, threads=torch.get_num_threads(),
               batch=a.batch, size=a.size, width=a.width, blocks=a.blocks, stem=a.stem,
               fpn_channels=a.fpn_channels, params=sum(p.numel() for p in model.parameters()))
    if a.shapes:
        model.eval()
        with torch.no_grad():
            image_list, _ = model.transform(images[:1])
            features = list(model.backbone(image_list.tensors).values())
            anchors = model.rpn.anchor_generator(image_list, features)[0]
            detections = model(images)
        out.update(input=list(image_list.tensors.shape), levels=[list(f.shape[-2:]) for f in features],
                   anchors=anchors.shape[0], detections=[d["boxes"].shape[0] for d in detections])
    if a.bench:
        model.train()
        opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.9, nesterov=True, weight_decay=5e-4)
        times = []
        for _ in range(6):
            t0 = time.perf_counter()
            losses = model(images, targets)
            loss = sum(losses.values())
            opt.zero_grad(); loss.backward(); opt.step()
            times.append(time.perf_counter() - t0)
        med = float(np.median(times[1:]))
        out.update(ms_per_step=round(1000 * med, 1), images_per_s=round(a.batch / med, 1),
                   losses={k: round(float(v), 4) for k, v in losses.items()})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
