#!/usr/bin/env python3
"""Export any PyTorch model as a TorchScript file that cka-atlas can analyse.

The exported module's forward(x) returns a tuple: the outputs of the named modules, in the order given,
cloned as they leave each module (so an in-place ReLU after a conv cannot overwrite the conv's output),
or passed through ReLU with --taps post-relu. A JSON sidecar (PATH + ".json") names the layers and
records their output shapes, the tap kind, the torch version and the preprocessing.

  scripts/export_torchscript.py --arch vgg11 --checkpoint vgg11_imagenet50.pth \\
      --layers features.0 features.3 features.6 features.8 features.11 features.13 features.16 features.18 \\
      --out vgg11.pt

--arch is a torchvision model name (built with its default arguments, e.g. num_classes=1000; pass
--num-classes for others) or MODULE:FUNCTION for your own code (importable from the working folder).
Runs with any PyTorch >= 1.13 (Debian's python3-torch).
"""
import argparse
import importlib
import json
import sys

import torch


def build(arch, num_classes):
    if ":" in arch:
        module, function = arch.split(":", 1)
        return getattr(importlib.import_module(module), function)()
    import torchvision
    if not hasattr(torchvision.models, arch):
        sys.exit(f"export_torchscript: unknown torchvision architecture '{arch}'")
    kwargs = {"num_classes": num_classes} if num_classes else {}
    return getattr(torchvision.models, arch)(**kwargs)


class Tapped(torch.nn.Module):
    """Runs the model and returns the tapped modules' outputs as a tuple."""

    def __init__(self, model, names, post_relu):
        super().__init__()
        self.model = model
        self.names = list(names)
        self.post_relu = post_relu
        self._outputs = {}
        modules = dict(model.named_modules())
        for name in self.names:
            modules[name].register_forward_hook(self._hook(name))

    def _hook(self, name):
        def keep(module, inputs, output):
            self._outputs[name] = torch.relu(output) if self.post_relu else output.clone()
        return keep

    def forward(self, x):
        self._outputs.clear()
        self.model(x)
        return tuple(self._outputs[name] for name in self.names)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", required=True, help="torchvision name or MODULE:FUNCTION")
    p.add_argument("--checkpoint", help="a state_dict saved with torch.save (optional)")
    p.add_argument("--num-classes", type=int, help="for torchvision architectures")
    p.add_argument("--layers", nargs="+", required=True, help="module names to tap, e.g. features.0")
    p.add_argument("--taps", choices=["pre-relu", "post-relu"], default="pre-relu",
                   help="the module's own output (default), or that output passed through ReLU")
    p.add_argument("--input-size", type=int, default=224)
    p.add_argument("--out", required=True, help="the TorchScript file to write; the sidecar is OUT.json")
    args = p.parse_args()

    model = build(args.arch, args.num_classes)
    if args.checkpoint:
        state = torch.load(args.checkpoint, map_location="cpu")
        state = state.get("state_dict", state) if isinstance(state, dict) else state
        model.load_state_dict({k.removeprefix("module."): v for k, v in state.items()})
    model.eval()
    modules = dict(model.named_modules())
    unknown = [n for n in args.layers if n not in modules or n == ""]
    if unknown:
        valid = ", ".join(n for n in modules if n)
        sys.exit(f"export_torchscript: unknown module name(s) {unknown}; the model has: {valid}")

    tapped = Tapped(model, args.layers, args.taps == "post-relu").eval()
    example = torch.zeros(1, 3, args.input_size, args.input_size)
    with torch.no_grad():
        traced = torch.jit.trace(tapped, example, check_trace=False)
        outputs = traced(example)
    traced.save(args.out)
    sidecar = {
        "format": "cka-atlas-torchscript/1",
        "arch": args.arch,
        "checkpoint": args.checkpoint,
        "input_size": args.input_size,
        "taps": args.taps,
        "layers": [{"name": n, "shape": list(o.shape[1:])} for n, o in zip(args.layers, outputs)],
        "torch_version": torch.__version__,
        "preprocessing": {"resize": args.input_size, "interpolation": "bilinear, align_corners=False",
                          "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]},
    }
    with open(args.out + ".json", "w") as f:
        json.dump(sidecar, f, indent=2)
    print(f"wrote {args.out} and {args.out}.json: {len(args.layers)} layers")


if __name__ == "__main__":
    main()
