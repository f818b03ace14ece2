#!/usr/bin/env python3
"""Regenerates channel CKA's CPU inner products (run from the project root):

    /usr/bin/python3 scripts/make_inner_products.py

src/main/resources/org/ckaatlas/cka/inner_products.pt is a TorchScript program with no weights:
forward(x, y) takes two float32 (B, M, K) and (B, N, K) tensors and returns (B, M, N), each image's
x_b y_b^T, computed by oneDNN's inner product (torch._C._nn.mkldnn_linear) instead of libtorch's matmul,
which runs on MKL. oneDNN picks its kernels by the CPU's instruction set whatever its vendor; MKL runs
AVX2 kernels on AMD CPUs with AVX-512 (scripts/bench-cka, docs/performance.md). Runs with any
PyTorch >= 1.13 (Debian's python3-torch); the file it writes loads in libtorch 2.5.1.
"""
import os
from typing import List

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "main", "resources",
                   "org", "ckaatlas", "cka", "inner_products.pt")


class InnerProducts(torch.nn.Module):
    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        products: List[torch.Tensor] = []
        for b in range(x.size(0)):
            # the input must be in oneDNN's layout, a copy; the weight is read as it is
            products.append(torch._C._nn.mkldnn_linear(x[b].to_mkldnn(), y[b], None).to_dense())
        return torch.stack(products)


def main():
    scripted = torch.jit.script(InnerProducts())
    x, y = torch.randn(3, 64, 500), torch.randn(3, 32, 500)
    worst = float((scripted(x, y) - torch.bmm(x, y.transpose(1, 2))).abs().max())
    if worst > 1e-3:  # sums of 500 products of unit normals: float32 rounding is ~1e-5
        raise SystemExit(f"oneDNN's products differ from bmm's by {worst}: not written")
    scripted.save(os.path.normpath(OUT))
    print(f"wrote {os.path.normpath(OUT)} ({os.path.getsize(OUT)} bytes); max |oneDNN - bmm|: {worst}")


if __name__ == "__main__":
    main()
