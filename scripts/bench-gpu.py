#!/usr/bin/env python3
"""The GPU side of a GPU executor, measured where a GPU is at hand (the pipeline's Java needs none of this).

What a GPU executor's task does per batch, in PyTorch on one GPU, with VGG11's trunk (torchvision's
vgg11().features through conv8, the built-in model's layers, random weights and inputs at 224 x 224):
  1. the forward alone, images/s by batch size, in float32 and in TF32 (cuDNN's default for convolutions,
     and so libtorch's and DJL's: a GPU executor runs TF32 unless told otherwise);
  2. the forward with the eight taps' layer Grams (B x B each), as the pipeline computes them;
  3. per-image channel CKA of the eight taps, in ChannelCka's formulation (centred columns, one Gram per
     channel, one GEMM over the flattened Grams), against a float64 reference on the CPU;
  4. copying a batch of decoded images to the GPU, from pageable and from pinned memory;
and how far TF32 moves the taps and the CKA values from float32's.
From (1) and the decode rate per core measured on CPUs (scripts/bench-decode), the cores a GPU needs.

  scripts/bench-gpu.py                  # on a machine with PyTorch and CUDA
  scripts/bench-gpu.py --device cpu --quick   # tries the script itself on a CPU, at small sizes
"""
import argparse
import time

import torch

# VGG11's trunk to conv8 at 224 x 224, multiply-adds counted as two FLOPs (docs/performance.md)
GFLOP_PER_IMAGE = 15.0
# scripts/bench-decode, inside the pipeline too: JPEG read, decode, resize and crop, per core
DECODE_IMAGES_PER_CORE = 400
CONVS = [0, 3, 6, 8, 11, 13, 16, 18]  # torchvision's module indices of conv1-conv8


def trunk(device):
    import torchvision
    features = torchvision.models.vgg11().features[:CONVS[-1] + 2]  # through conv8 and its ReLU
    return features.eval().to(device)


def set_tf32(on):
    """TF32 for cuDNN's convolutions on or off; matmul stays IEEE float32, as libtorch's default is."""
    conv = getattr(torch.backends.cudnn, "conv", None)
    if conv is not None and hasattr(conv, "fp32_precision"):  # PyTorch >= 2.9
        conv.fp32_precision = "tf32" if on else "ieee"
        torch.backends.cuda.matmul.fp32_precision = "ieee"
    else:
        torch.backends.cudnn.allow_tf32 = on
        torch.backends.cuda.matmul.allow_tf32 = False


def tapped_forward(model, x):
    """The conv outputs (pre-ReLU, as the pipeline taps them by default), in order."""
    taps = []
    for i, module in enumerate(model):
        x = module(x)
        if i in CONVS:
            taps.append(x.clone() if isinstance(model[i + 1], torch.nn.ReLU) else x)
    return taps


def timed(fn, device, reps, warmup=3):
    """Seconds per call: CUDA events around reps calls after warm-up (wall clock on a CPU)."""
    for _ in range(warmup):
        fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(reps):
            fn()
        end.record()
        torch.cuda.synchronize()
        return start.elapsed_time(end) / 1000 / reps
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t0) / reps


def layer_grams(taps):
    return [t.reshape(t.shape[0], -1) @ t.reshape(t.shape[0], -1).T for t in taps]


def layer_cka(taps):
    """Layer x layer linear CKA of one batch from its layer Grams (the biased estimator: enough to compare two runs)."""
    b = taps[0].shape[0]
    h = torch.eye(b, device=taps[0].device, dtype=torch.float64) - 1.0 / b
    centred = [h @ g.double() @ h for g in layer_grams(taps)]
    hsic = torch.stack([torch.stack([(k * l).sum() for l in centred]) for k in centred])
    norms = torch.diagonal(hsic).sqrt()
    return hsic / norms.unsqueeze(1) / norms.unsqueeze(0)


def channel_cka(a):
    """(B, C, h, w) -> (B, C, C), as ChannelCka.matrices without its CPU-only row halves."""
    centred = a - a.mean(dim=2, keepdim=True)
    grams = (centred @ centred.transpose(2, 3)).reshape(a.shape[0], a.shape[1], -1)
    dots = grams @ grams.transpose(1, 2)
    norms = torch.diagonal(dots, dim1=1, dim2=2).sqrt()
    return dots / norms.unsqueeze(2) / norms.unsqueeze(1)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cuda")
    p.add_argument("--batches", default="32,64,128")
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--quick", action="store_true", help="64 x 64 inputs, batches of 4, 2 reps: a dry run")
    args = p.parse_args()
    device = torch.device(args.device)
    size = 64 if args.quick else 224
    batches = [4] if args.quick else [int(b) for b in args.batches.split(",")]
    reps = 2 if args.quick else args.reps
    flop = GFLOP_PER_IMAGE * (size / 224) ** 2
    torch.manual_seed(0)
    model = trunk(device)
    if device.type == "cuda":
        print(f"{torch.cuda.get_device_name(device)}, PyTorch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}")
        torch.backends.cudnn.benchmark = True  # libtorch's default is off: reported apart below
    else:
        print(f"CPU, PyTorch {torch.__version__}")
    print(f"VGG11 trunk to conv8 at {size}x{size}: {flop:.1f} GFLOP per image\n")

    print("1-2. forward, and forward + the eight taps' layer Grams (images/s; TFLOP/s of the forward)")
    print(f"{'batch':>5} {'precision':>9} {'forward':>10} {'TFLOP/s':>8} {'+ Grams':>10} {'Grams %':>8}")
    rates = {}
    with torch.inference_mode():
        for tf32 in (False, True):
            set_tf32(tf32)
            for b in batches:
                x = torch.randn(b, 3, size, size, device=device)
                forward = timed(lambda: model(x), device, reps)
                with_grams = timed(lambda: layer_grams(tapped_forward(model, x)), device, reps)
                rates[(b, tf32)] = b / forward
                print(f"{b:>5} {'TF32' if tf32 else 'float32':>9} {b / forward:>10.0f} {b * flop / forward / 1e3:>8.1f} "
                      f"{b / with_grams:>10.0f} {100 * (with_grams - forward) / forward:>7.0f}%")

        # what libtorch does by default (no cuDNN autotuning): DJL sets nothing either
        if device.type == "cuda":
            torch.backends.cudnn.benchmark = False
            b = batches[0]
            x = torch.randn(b, 3, size, size, device=device)
            forward = timed(lambda: model(x), device, reps)
            print(f"{b:>5} {'TF32':>9} {b / forward:>10.0f} {b * flop / forward / 1e3:>8.1f}   (cudnn.benchmark off, libtorch's default)")
            torch.backends.cudnn.benchmark = True

        # TF32 against float32 on the same input: how far a GPU executor's taps are from a CPU's
        b = batches[0]
        x = torch.randn(b, 3, size, size, device=device)
        set_tf32(False)
        exact = tapped_forward(model, x)
        set_tf32(True)
        tf32_taps = tapped_forward(model, x)
        worst = max(float(((t - e).abs().max() / e.abs().max())) for t, e in zip(tf32_taps, exact))
        print(f"TF32 taps against float32: max |diff| / max |tap| = {worst:.1e} (worst of the eight layers)")
        layer = float((layer_cka(tf32_taps) - layer_cka(exact)).abs().max())
        channel = max(float((channel_cka(t[:4]) - channel_cka(e[:4])).abs().max()) for t, e in zip(tf32_taps, exact))
        print(f"what that does to CKA: layer x layer (batch {b}) max |diff| = {layer:.1e}; "
              f"channel x channel (4 images) max |diff| = {channel:.1e}\n")

        print(f"3. per-image channel CKA of the eight taps (float32, batch {b}), against the forward")
        set_tf32(False)
        taps = exact
        cka = timed(lambda: [channel_cka(t) for t in taps], device, reps)
        forward = timed(lambda: model(x), device, reps)
        print(f"channel CKA {1e3 * cka / b:.3f} ms per image, forward {1e3 * forward / b:.3f} ms per image (float32): "
              f"{cka / forward:.2f}x the forward's time")
        reference = [channel_cka(t[:1].double().cpu()) for t in taps]
        got = [channel_cka(t[:1]).double().cpu() for t in taps]
        print(f"against float64 on the CPU, first image: max |diff| = {max(float((g - r).abs().max()) for g, r in zip(got, reference)):.1e}\n")

        print("4. a batch of decoded images onto the GPU (float32, 3 x 224 x 224 each)")
        if device.type == "cuda":
            for b in batches:
                host = torch.randn(b, 3, size, size)
                pinned = host.pin_memory()
                pageable_s = timed(lambda: host.to(device), device, reps)
                pinned_s = timed(lambda: pinned.to(device, non_blocking=True), device, reps)
                mb = host.numel() * 4 / 1e6
                print(f"batch {b:>4}: {mb:.0f} MB, pageable {1e3 * pageable_s:.2f} ms ({mb / 1e3 / pageable_s:.1f} GB/s), "
                      f"pinned {1e3 * pinned_s:.2f} ms ({mb / 1e3 / pinned_s:.1f} GB/s); the forward of it "
                      f"{1e3 * b / rates[(b, True)]:.1f} ms")
        else:
            print("(no GPU)")

    print("\ncores to decode for one GPU, at", DECODE_IMAGES_PER_CORE, "images/s per core (scripts/bench-decode):")
    for (b, tf32), rate in sorted(rates.items()):
        print(f"  batch {b:>4} {'TF32' if tf32 else 'float32':>8}: {rate:>7.0f} images/s -> {rate / DECODE_IMAGES_PER_CORE:5.1f} cores")


if __name__ == "__main__":
    main()
