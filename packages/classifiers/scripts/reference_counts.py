"""Reference parameter counts for the tests, from independent PyTorch definitions.

Run with the system Python that holds Debian's torch:  /usr/bin/python3 scripts/reference_counts.py
ResNet-18/20/32/44/56/110 come from the project's peer (/work/shared/peers/resnet_peer.py);
the rest are written here from the papers and the widely used reference implementations:
ResNet-34 (CIFAR variant, as kuangliu/pytorch-cifar), PreAct-ResNet-18 (He et al. 2016b, with
the final BN-ReLU), WideResNet-28-10 (Zagoruyko & Komodakis 2016, as xternalz/WideResNet-pytorch),
LeNet-5 (ReLU + max-pool variant), EfficientNet-B0 (Tan & Le 2019, layout of torchvision's
efficientnet_b0: SE squeeze width = block input channels / 4, biases on the SE convs only).
Prints one JSON line: {model: {"3": count for 3 input channels, "1": count for 1}} at 10 classes.
"""
import json
import os
import sys

import torch.nn as nn

sys.path.insert(0, os.environ.get("PEER_DIR", "/work/shared/peers"))
import resnet_peer  # noqa: E402


def conv(cin, cout, k, stride=1, groups=1, bias=False):
    return nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=bias)


def basic_stack(in_ch, widths, blocks):
    # Post-activation CIFAR ResNet with 1x1 conv+BN shortcuts (same layout as the peer).
    return resnet_peer.resnet(widths, blocks, in_ch, 10)


class PreAct(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1, self.conv1 = nn.BatchNorm2d(cin), conv(cin, cout, 3, stride)
        self.bn2, self.conv2 = nn.BatchNorm2d(cout), conv(cout, cout, 3)
        self.short = conv(cin, cout, 1, stride) if stride != 1 or cin != cout else None


def preact_net(in_ch, stem, widths, blocks):
    layers, c = [conv(in_ch, stem, 3)], stem
    for i, (w, n) in enumerate(zip(widths, blocks)):
        for j in range(n):
            layers.append(PreAct(c, w, 2 if (j == 0 and i > 0) else 1))
            c = w
    layers += [nn.BatchNorm2d(c), nn.Linear(c, 10)]
    return nn.Sequential(*layers)


def lenet5(in_ch):
    return nn.Sequential(nn.Conv2d(in_ch, 6, 5), nn.Conv2d(6, 16, 5), nn.Linear(400, 120),
                         nn.Linear(120, 84), nn.Linear(84, 10))


class MBConv(nn.Module):
    def __init__(self, cin, cout, expand, k, stride):
        super().__init__()
        mid = cin * expand
        layers = [] if expand == 1 else [conv(cin, mid, 1), nn.BatchNorm2d(mid)]
        layers += [conv(mid, mid, k, stride, groups=mid), nn.BatchNorm2d(mid)]
        squeeze = max(1, cin // 4)
        layers += [nn.Conv2d(mid, squeeze, 1), nn.Conv2d(squeeze, mid, 1)]
        layers += [conv(mid, cout, 1), nn.BatchNorm2d(cout)]
        self.layers = nn.Sequential(*layers)


def efficientnet_b0(in_ch):
    stages = [(1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3),
              (6, 5, 1, 112, 3), (6, 5, 2, 192, 4), (6, 3, 1, 320, 1)]
    layers, c = [conv(in_ch, 32, 3, 1), nn.BatchNorm2d(32)], 32
    for expand, k, stride, out, n in stages:
        for j in range(n):
            layers.append(MBConv(c, out, expand, k, stride if j == 0 else 1))
            c = out
    layers += [conv(c, 1280, 1), nn.BatchNorm2d(1280), nn.Linear(1280, 10)]
    return nn.Sequential(*layers)


MODELS = {
    **{m: (lambda c, m=m: resnet_peer.build(m, c)) for m in
       ["resnet18", "resnet20", "resnet32", "resnet44", "resnet56", "resnet110"]},
    "resnet34": lambda c: basic_stack(c, [64, 128, 256, 512], [3, 4, 6, 3]),
    "preact-resnet18": lambda c: preact_net(c, 64, [64, 128, 256, 512], [2, 2, 2, 2]),
    "wrn-28-10": lambda c: preact_net(c, 16, [160, 320, 640], [4, 4, 4]),
    "wrn-10-2": lambda c: preact_net(c, 16, [32, 64, 128], [1, 1, 1]),
    "lenet5": lenet5,
    "efficientnet-b0": efficientnet_b0,
}

if __name__ == "__main__":
    counts = {name: {str(c): sum(p.numel() for p in build(c).parameters()) for c in (3, 1)}
              for name, build in MODELS.items()}
    print(json.dumps(counts))
