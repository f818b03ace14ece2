#!/usr/bin/env python3
"""Export any PyTorch model as a TorchScript file that cka-atlas can analyse.

The exported module's forward(x) returns a tuple: the outputs of the named modules, in the order given,
cloned as they leave each module (so an in-place ReLU after a conv cannot overwrite the conv's output),
or passed through ReLU with --taps post-relu. A JSON sidecar (PATH + ".json") names the layers and
records their output shapes, the tap kind, the torch version and the preprocessing.

  scripts/export_torchscript.py --arch vgg11 --checkpoint vgg11_imagenet50.pth \\
      --layers features.0 features.3 features.6 features.8 features.11 features.13 features.16 features.18 \\
      --out vgg11.pt

With --cpu-layout blocked (the default) it also writes a CPU variant, OUT's name with ".blocked" before
its extension, that runs the model in oneDNN's blocked layout from input to last tap and converts only
the taps back to dense (torch.utils.mkldnn.to_mkldnn): 1.2-1.4x faster on CPU executors, the same
numbers. The sidecar names it as "cpu_variant"; cka-atlas loads it on CPUs and the dense file on GPUs.
A model with a module oneDNN cannot run blocked keeps the dense file only, and the exporter says why.

--arch is a torchvision model name (built with its default arguments, e.g. num_classes=1000; pass
--num-classes for others) or MODULE:FUNCTION for your own code (importable from the working folder).
Runs with any PyTorch >= 1.13 (Debian's python3-torch).
"""
import argparse
import copy
import importlib
import json
import os
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

    def __init__(self, model, names, post_relu, blocked=False):
        super().__init__()
        self.model = model
        self.names = list(names)
        self.post_relu = post_relu
        self.blocked = blocked
        self._outputs = {}
        modules = dict(model.named_modules())
        for name in self.names:
            modules[name].register_forward_hook(self._hook(name))

    def _hook(self, name):
        def keep(module, inputs, output):
            tap = torch.relu(output) if self.post_relu else output
            if self.blocked:
                tap = tap.to_dense()  # a copy, out of oneDNN's layout
            elif not self.post_relu:
                tap = tap.clone()  # kept from the in-place ReLU that may follow
            self._outputs[name] = tap
        return keep

    def forward(self, x):
        self._outputs.clear()
        self.model(x.to_mkldnn() if self.blocked else x)
        return tuple(self._outputs[name] for name in self.names)


def cut_after_last_tap(model, names):
    """The model with everything the taps do not need removed (a classifier head, say), by torch.fx;
    the model itself where fx cannot trace it or a tapped module runs more than once."""
    try:
        import torch.fx
        graph_module = torch.fx.symbolic_trace(model)
    except Exception as e:
        print(f"export_torchscript: torch.fx cannot trace the model ({type(e).__name__}); "
              "the export runs all of it, past the last tap", file=sys.stderr)
        return model
    calls = {}
    for node in graph_module.graph.nodes:
        if node.op == "call_module":
            calls.setdefault(node.target, []).append(node)
    if any(len(calls.get(name, [])) != 1 for name in names):
        return model
    output = next(n for n in graph_module.graph.nodes if n.op == "output")
    output.args = (tuple(calls[name][0] for name in names),)
    graph_module.graph.eliminate_dead_code()
    graph_module.recompile()
    return graph_module


def export_blocked(model, args, example, dense_outputs):
    """The blocked-layout CPU variant beside OUT, or None and a line saying why not."""
    root, ext = os.path.splitext(args.out)
    path = root + ".blocked" + (ext or ".pt")
    try:
        from torch.utils import mkldnn
        blocked = Tapped(mkldnn.to_mkldnn(copy.deepcopy(model)), args.layers, args.taps == "post-relu", blocked=True).eval()
        with torch.no_grad():
            traced = torch.jit.trace(blocked, example, check_trace=False)
            outputs = traced(example)
        worst = max(float((a - b).abs().max()) for a, b in zip(outputs, dense_outputs))
    except Exception as e:  # any module oneDNN has no blocked kernel for
        print(f"export_torchscript: no blocked-layout variant ({type(e).__name__}: {str(e).splitlines()[0]}); "
              f"the dense file serves CPUs too", file=sys.stderr)
        return None
    if worst > 1e-4:
        print(f"export_torchscript: no blocked-layout variant: its taps differ from the dense ones by {worst}",
              file=sys.stderr)
        return None
    traced.save(path)
    print(f"wrote {path}: the CPU variant, max |blocked - dense| = {worst} on a random input")
    return os.path.basename(path)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", required=True, help="torchvision name or MODULE:FUNCTION")
    p.add_argument("--checkpoint", help="a state_dict saved with torch.save (optional)")
    p.add_argument("--num-classes", type=int, help="for torchvision architectures")
    p.add_argument("--layers", nargs="+", required=True, help="module names to tap, e.g. features.0")
    p.add_argument("--taps", choices=["pre-relu", "post-relu"], default="pre-relu",
                   help="the module's own output (default), or that output passed through ReLU")
    p.add_argument("--input-size", type=int, default=224)
    p.add_argument("--cpu-layout", choices=["blocked", "dense"], default="blocked",
                   help="blocked (default): also write a oneDNN blocked-layout variant for CPU executors")
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

    model = cut_after_last_tap(model, args.layers).eval()
    tapped = Tapped(model, args.layers, args.taps == "post-relu").eval()
    example = torch.zeros(1, 3, args.input_size, args.input_size)
    with torch.no_grad():
        traced = torch.jit.trace(tapped, example, check_trace=False)
        outputs = traced(example)
        probe = torch.randn(2, 3, args.input_size, args.input_size, generator=torch.Generator().manual_seed(0))
        probe_outputs = traced(probe)
    traced.save(args.out)
    variant = export_blocked(model, args, probe, probe_outputs) if args.cpu_layout == "blocked" else None
    sidecar = {
        "format": "cka-atlas-torchscript/1",
        "arch": args.arch,
        "checkpoint": args.checkpoint,
        "input_size": args.input_size,
        "taps": args.taps,
        "layers": [{"name": n, "shape": list(o.shape[1:])} for n, o in zip(args.layers, outputs)],
        "torch_version": torch.__version__,
        **({"cpu_variant": {"layout": "blocked", "file": variant}} if variant else {}),
        "preprocessing": {"resize": args.input_size, "interpolation": "bilinear, align_corners=False",
                          "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]},
    }
    with open(args.out + ".json", "w") as f:
        json.dump(sidecar, f, indent=2)
    print(f"wrote {args.out} and {args.out}.json: {len(args.layers)} layers")


if __name__ == "__main__":
    main()
