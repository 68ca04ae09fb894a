"""PyTorch peer: DeepLabV3+ on a dilated ResNet, for side-by-side speed comparisons with
perturb's DeepLabV3Plus (@perturb/segmentation) on the same machine.

  python3 deeplab_peer.py --bench                       # ms per SGD step, random images and label maps
  python3 deeplab_peer.py --bench --output-stride 8 --blocks 2 2 2 2
  python3 deeplab_peer.py --shapes                      # parameters and output shape, no timing

Built from Debian's python3-torchvision pieces: torchvision.models.resnet's ResNet (ImageNet
stem: 7x7/2 conv + 3x3/2 max pool; stages of 64..512 channels) with replace_stride_with_dilation
for output stride 16 or 8, and torchvision.models.segmentation.deeplabv3's ASPP (rates 6/12/18
scaled by 16/output stride, image pooling branch). torchvision's BasicBlock refuses dilation,
so the block below dilates both of its 3x3 convs, as perturb's does. ASPP's dropout is left out
(perturb's forward pass is deterministic). The V3+ decoder is written here: stride-4 low-level
features (layer1) reduced to 48 channels by a 1x1 conv, fused with the ASPP output upsampled
bilinearly, two 3x3 convs, a 1x1 classifier, bilinear upsampling to the input size
(align_corners=False). Loss: per-pixel cross-entropy with ignore index 255. SGD lr 0.1,
Nesterov momentum 0.9, weight decay 5e-4 (the other peers' recipe). Needs Debian's
python3-torch and python3-torchvision. Prints one JSON line.
"""
import argparse, json, os, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models import resnet
from torchvision.models.segmentation.deeplabv3 import ASPP


class DilatedBasicBlock(resnet.BasicBlock):
    """torchvision's basic block with both 3x3 convs dilated (its own raises on dilation > 1)."""

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64, dilation=1,
                 norm_layer=None):
        super().__init__(inplanes, planes, stride, downsample, groups, base_width, 1, norm_layer)
        self.conv1 = resnet.conv3x3(inplanes, planes, stride, dilation=dilation)
        self.conv2 = resnet.conv3x3(planes, planes, dilation=dilation)


def conv_bn_relu(cin, cout, kernel):
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, padding=kernel // 2, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU())


class DeepLabV3Plus(nn.Module):
    def __init__(self, in_ch, classes, blocks, output_stride, channels, low_channels=48):
        super().__init__()
        dilate = {16: [False, False, True], 8: [False, True, True]}[output_stride]
        net = resnet.ResNet(DilatedBasicBlock, blocks, replace_stride_with_dilation=dilate)
        net.conv1 = nn.Conv2d(in_ch, 64, 7, 2, 3, bias=False)
        self.stem = nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool)
        self.layer1, self.layer2, self.layer3, self.layer4 = net.layer1, net.layer2, net.layer3, net.layer4
        self.aspp = ASPP(512, [r * 16 // output_stride for r in (6, 12, 18)], channels)
        self.aspp.project[3] = nn.Identity()
        self.reduce_low = conv_bn_relu(64, low_channels, 1)
        self.decoder = nn.Sequential(conv_bn_relu(channels + low_channels, channels, 3),
                                     conv_bn_relu(channels, channels, 3))
        self.classifier = nn.Conv2d(channels, classes, 1)

    def forward(self, x):
        low = self.layer1(self.stem(x))
        deep = self.aspp(self.layer4(self.layer3(self.layer2(low))))
        low = self.reduce_low(low)
        up = F.interpolate(deep, size=low.shape[-2:], mode="bilinear", align_corners=False)
        y = self.classifier(self.decoder(torch.cat([up, low], 1)))
        return F.interpolate(y, size=x.shape[-2:], mode="bilinear", align_corners=False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--channels", type=int, default=1, help="image channels")
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--classes", type=int, default=11)
    ap.add_argument("--blocks", type=int, nargs=4, default=[2, 2, 2, 2])
    ap.add_argument("--output-stride", type=int, choices=[8, 16], default=16)
    ap.add_argument("--aspp-channels", type=int, default=128, help="ASPP and decoder channels")
    ap.add_argument("--bench", action="store_true")
    ap.add_argument("--shapes", action="store_true", help="one forward pass: parameters and logits shape")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0, help="0: all cores")
    a = ap.parse_args()
    if a.size % a.output_stride:
        ap.error(f"--size {a.size} must be a multiple of --output-stride {a.output_stride}")
    torch.set_num_threads(a.threads or os.cpu_count())
    torch.manual_seed(a.seed)
    model = DeepLabV3Plus(a.channels, a.classes, a.blocks, a.output_stride, a.aspp_channels)
    out = dict(peer="pytorch-deeplabv3plus", torch=torch.__version__, threads=torch.get_num_threads(),
               batch=a.batch, size=a.size, blocks=a.blocks, output_stride=a.output_stride,
               params=sum(p.numel() for p in model.parameters()))
    x = torch.randn(a.batch, a.channels, a.size, a.size)
    y = torch.randint(0, a.classes, (a.batch, a.size, a.size))
    if a.shapes:
        out.update(logits=list(model(x).shape))
    if a.bench:
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
        times = []
        for _ in range(6):
            t0 = time.perf_counter()
            loss = F.cross_entropy(model(x), y, ignore_index=255)
            opt.zero_grad(); loss.backward(); opt.step()
            times.append(time.perf_counter() - t0)
        med = float(np.median(times[1:]))
        out.update(ms_per_step=round(1000 * med, 1), images_per_s=round(a.batch / med, 1))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
