#!/usr/bin/env python3
"""Regenerates the decoding fixtures and PyTorch's golden tensors (run from anywhere):

    /usr/bin/python3 src/test/resources/images/make_images.py

Each image is small and made here by PIL from a fixed pattern. For each, golden.bin holds PyTorch's
preprocessed tensor, float32 little-endian, 3 x 32 x 32, for both preprocessings, in the order of
golden.json: PIL decodes (Image.open(...).convert("RGB")), then
  resize:      F.interpolate(size=(32, 32), mode="bilinear", align_corners=False), normalise;
  resize-crop: shorter side to 37 (the same rule as 256 for 224), F.interpolate as above,
               centre crop 32 x 32 (torchvision's rounding), normalise.
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
MEAN = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)
SIZE, RESIZE = 32, 37


def pattern(w, h):
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    r = 127.5 + 127.5 * np.sin(x / 5.0) * np.cos(y / 7.0)
    g = 255.0 * x / (w - 1)
    b = 255.0 * ((x // 8 + y // 8) % 2) * 0.8 + 20.0 * np.cos(x * y / 50.0) + 20.0
    return np.clip(np.stack([r, g, b], axis=-1), 0, 255).astype(np.uint8)


def make():
    rgb = Image.fromarray(pattern(96, 72))
    rgb.save(os.path.join(HERE, "rgb_nonsquare.jpg"), quality=90)
    Image.fromarray(pattern(80, 80)).save(os.path.join(HERE, "progressive.jpg"), quality=90, progressive=True)
    Image.fromarray(pattern(64, 48)).convert("L").save(os.path.join(HERE, "grey.jpg"), quality=90)
    Image.fromarray(pattern(64, 64)).convert("CMYK").save(os.path.join(HERE, "cmyk.jpg"), quality=95)
    Image.fromarray(pattern(70, 50)).save(os.path.join(HERE, "png_named.JPEG"), format="PNG")
    rgba = Image.fromarray(pattern(40, 60)).convert("RGBA")
    rgba.putalpha(Image.fromarray((np.arange(40 * 60).reshape(60, 40) % 256).astype(np.uint8)))
    rgba.save(os.path.join(HERE, "rgba.png"))
    Image.fromarray(pattern(50, 50)).convert("P", palette=Image.ADAPTIVE, colors=64).save(os.path.join(HERE, "palette.gif"))
    Image.fromarray(pattern(45, 30)).convert("L").save(os.path.join(HERE, "grey.png"))


def to_tensor(path):
    img = Image.open(path).convert("RGB")
    return torch.from_numpy(np.asarray(img).copy()).permute(2, 0, 1).float().div(255).unsqueeze(0)


def resize(t):
    return F.interpolate(t, size=(SIZE, SIZE), mode="bilinear", align_corners=False)[0]


def resize_crop(t):
    h, w = t.shape[2], t.shape[3]
    if h <= w:
        nh, nw = RESIZE, int(RESIZE * w / h)
    else:
        nh, nw = int(RESIZE * h / w), RESIZE
    r = F.interpolate(t, size=(nh, nw), mode="bilinear", align_corners=False)[0]
    top = int(round((nh - SIZE) / 2.0))
    left = int(round((nw - SIZE) / 2.0))
    return r[:, top:top + SIZE, left:left + SIZE]


def main():
    make()
    names = ["rgb_nonsquare.jpg", "progressive.jpg", "grey.jpg", "cmyk.jpg", "png_named.JPEG", "rgba.png",
             "palette.gif", "grey.png"]
    with open(os.path.join(HERE, "golden.bin"), "wb") as f:
        for name in names:
            t = to_tensor(os.path.join(HERE, name))
            for mode in (resize, resize_crop):
                f.write(((mode(t) - MEAN) / STD).numpy().astype("<f4").tobytes())
    with open(os.path.join(HERE, "golden.json"), "w") as f:
        json.dump({"size": SIZE, "resize": RESIZE, "images": names, "modes": ["resize", "resize-crop"],
                   "torch": torch.__version__}, f, indent=2)
    print("wrote", len(names), "images and golden tensors")


if __name__ == "__main__":
    main()
