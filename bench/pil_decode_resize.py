"""PIL's side of `bin/clip bench-images`: the same files, the same three stages, one thread.

usage: /usr/bin/python3 pil_decode_resize.py DIR SHORTER_SIDE QUALITY
Prints one JSON line: images per second for decode, decode+resize, decode+resize+encode.
Decoding is Image.open(...).convert("RGB") and resizing Image.resize(..., BICUBIC), what
torchvision's default loader and most CLIP data pipelines do (no draft-mode shortcut).
"""
import io
import json
import os
import sys
import time

from PIL import Image

folder, side, quality = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
blobs = [open(os.path.join(folder, f), "rb").read() for f in sorted(os.listdir(folder)) if f.endswith(".jpg")]


def stage(n):
    start = time.perf_counter()
    for b in blobs:
        im = Image.open(io.BytesIO(b)).convert("RGB")
        if n >= 1:
            w, h = im.size
            s = side / min(w, h)
            im = im.resize((round(w * s), round(h * s)), Image.BICUBIC)
        if n >= 2:
            im.save(io.BytesIO(), "JPEG", quality=quality)
    return len(blobs) / (time.perf_counter() - start)


stage(2)  # warm-up: page cache, allocator
print(json.dumps({"pil_version": Image.__version__, "images": len(blobs), "decode": stage(0),
                  "decode_resize": stage(1), "decode_resize_encode": stage(2)}))
