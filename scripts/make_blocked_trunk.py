#!/usr/bin/env python3
"""Regenerates the built-in network's CPU forward (run from the project root):

    /usr/bin/python3 scripts/make_blocked_trunk.py

src/main/resources/org/ckaatlas/model/blocked_trunk.pt is a TorchScript program with no weights of its
own: forward(x, weights, pool_after, post_relu) runs a VGG-style trunk (3x3 convolutions with padding 1,
each followed by ReLU and, where pool_after says so, a 2x2 max-pool) in oneDNN's blocked layout from the
first convolution to the last, and converts only the tapped outputs back to the ordinary dense layout.
The Java side (model/BlockedTrunk) passes the built-in VGG11's own seeded weights and its pooling
pattern, so the file holds no numbers and stays a few KB. Runs with any PyTorch >= 1.13 (Debian's
python3-torch); the file it writes loads in libtorch 2.5.1.
"""
import os
from typing import List

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "main", "resources",
                   "org", "ckaatlas", "model", "blocked_trunk.pt")


class BlockedTrunk(torch.nn.Module):
    def forward(self, x: torch.Tensor, weights: List[torch.Tensor], pool_after: List[bool],
                post_relu: bool) -> List[torch.Tensor]:
        y = x.to_mkldnn()
        taps: List[torch.Tensor] = []
        for i in range(len(pool_after)):
            y = torch.mkldnn_convolution(y, weights[2 * i], weights[2 * i + 1], [1, 1], [1, 1], [1, 1], 1)
            r = torch.relu(y)
            taps.append(r.to_dense() if post_relu else y.to_dense())
            if i + 1 < len(pool_after):  # nothing reads past the last tap
                y = torch.max_pool2d(r, [2, 2], [2, 2]) if pool_after[i] else r
        return taps


def main():
    scripted = torch.jit.script(BlockedTrunk())
    # the check: torchvision's VGG11 trunk, eager and dense, against this program with its weights
    import torchvision
    features = torchvision.models.vgg11().features.eval()
    convs = [m for m in features if isinstance(m, torch.nn.Conv2d)]
    weights = [t.detach() for c in convs for t in (c.weight, c.bias)]
    pools = [True, True, False, True, False, True, False, True]
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        taps = scripted(x, weights, pools, False)
        expected, y = [], x
        for m in features:
            y = torch.relu(y) if isinstance(m, torch.nn.ReLU) else m(y)
            if isinstance(m, torch.nn.Conv2d):
                expected.append(y.clone())
    worst = max(float((a - b).abs().max()) for a, b in zip(taps, expected))
    scripted.save(os.path.normpath(OUT))
    print(f"wrote {os.path.normpath(OUT)} ({os.path.getsize(OUT)} bytes); max |blocked - eager| on VGG11: {worst}")


if __name__ == "__main__":
    main()
