#!/usr/bin/env python3
"""Writes the image-decoding test fixtures and PIL's reading of them (the reference the Java tests compare to).

Run from this directory with a Python that has Pillow (Debian's python3-pil; made with Pillow 9.4.0 / libjpeg-turbo):
    /usr/bin/python3 make_fixtures.py
For every decodable fixture NAME it writes NAME.rgb: PIL's pixels after ImageOps.exif_transpose and convert('RGB'),
raw row-major R,G,B bytes (the Java test knows each fixture's size). Deterministic: fixed seeds, no clock.
"""
import io
import struct

import numpy as np
from PIL import Image, ImageDraw, ImageOps

rng = np.random.default_rng(20240611)


def scene(w, h, seed):
    """A photo-like picture: smooth gradients, hard-edged shapes and sensor-like noise, asymmetric so a wrong
    orientation or a mirrored axis shows up."""
    r = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    a = np.stack([255 * x / w, 255 * y / h, 128 + 90 * np.sin(x / 7.0 + y / 11.0)], axis=-1)
    img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(img)
    d.ellipse([w * 0.1, h * 0.15, w * 0.45, h * 0.6], fill=(230, 40, 30))
    d.rectangle([w * 0.6, h * 0.55, w * 0.9, h * 0.9], fill=(20, 60, 200))
    d.line([0, h - 1, w - 1, h // 3], fill=(250, 250, 250), width=2)
    noisy = np.asarray(img).astype(np.float64) + r.normal(0, 6, (h, w, 3))
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def pil_rgb(path):
    with Image.open(path) as im:
        return ImageOps.exif_transpose(im).convert("RGB")


def write_reference(name):
    with open(name + ".rgb", "wb") as f:
        f.write(pil_rgb(name).tobytes())


def exif_orientation(value, byte_order):
    """An APP1 Exif payload with only IFD0 Orientation, in either TIFF byte order."""
    e = "<" if byte_order == b"II" else ">"
    tiff = byte_order + struct.pack(e + "HI", 42, 8) + struct.pack(e + "H", 1)
    tiff += struct.pack(e + "HHI", 0x0112, 3, 1) + struct.pack(e + "H", value) + b"\0\0" + struct.pack(e + "I", 0)
    return b"Exif\0\0" + tiff


def without_jfif(jpeg):
    """The same JPEG minus its APP0 JFIF segment, like many camera files (libjpeg then goes by component ids)."""
    assert jpeg[2:4] == b"\xff\xe0"
    return jpeg[:2] + jpeg[4 + (jpeg[4] << 8 | jpeg[5]):]


def swapped_primaries_icc():
    """A small but valid ICC v2 RGB display profile whose red and green primaries are swapped. A decoder that
    colour-manages would turn red into green; PIL (and every CLIP pipeline) ignores embedded profiles."""
    def s15(v):
        return struct.pack(">i", round(v * 65536))

    def xyz(x, y, z):
        return b"XYZ \0\0\0\0" + s15(x) + s15(y) + s15(z)

    def curve(gamma):
        return b"curv\0\0\0\0" + struct.pack(">IH", 1, round(gamma * 256)) + b"\0\0"

    text = b"swapped red/green"
    desc = b"desc\0\0\0\0" + struct.pack(">I", len(text) + 1) + text + b"\0" + b"\0" * (4 + 4 + 2 + 1 + 67)
    tags = [(b"desc", desc), (b"cprt", b"text\0\0\0\0test fixture\0"), (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
            (b"rXYZ", xyz(0.3851, 0.7169, 0.0971)), (b"gXYZ", xyz(0.4361, 0.2225, 0.0139)),
            (b"bXYZ", xyz(0.1431, 0.0606, 0.7141)),
            (b"rTRC", curve(2.2)), (b"gTRC", curve(2.2)), (b"bTRC", curve(2.2))]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for sig, body in tags:
        body += b"\0" * (-len(body) % 4)
        table += sig + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = (struct.pack(">I", size) + b"\0" * 4 + struct.pack(">I", 0x02100000) + b"mntrRGB XYZ " + b"\0" * 12
              + b"acsp" + b"\0" * 28 + s15(0.9642) + s15(1.0) + s15(0.8249) + b"\0" * 48)
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + data


base = scene(64, 48, 1)

base.save("rgb_baseline.jpg", quality=90)
base.save("rgb_progressive.jpg", quality=90, progressive=True)
base.save("rgb_444.jpg", quality=95, subsampling=0)
base.convert("L").save("gray.jpg", quality=90)
open("no_jfif.jpg", "wb").write(without_jfif(open("rgb_baseline.jpg", "rb").read()))
# Adobe APP14 with transform 0 instead of JFIF: the three components are taken as R,G,B as stored (here they hold
# YCbCr values, so the colours look odd, but both decoders must read the same bytes the same way).
adobe_rgb = b"\xff\xee\x00\x0eAdobe\x00\x64\x00\x00\x00\x00\x00"
open("adobe_rgb.jpg", "wb").write(b"\xff\xd8" + adobe_rgb + without_jfif(open("rgb_444.jpg", "rb").read())[2:])
with Image.open("adobe_rgb.jpg") as im:
    assert im.info.get("adobe_transform") == 0 and im.mode == "RGB"
base.save("icc_swapped.jpg", quality=90, icc_profile=swapped_primaries_icc())
with Image.open("icc_swapped.jpg") as im:
    assert im.info["icc_profile"] == swapped_primaries_icc()

# CMYK with real black ink (PIL's own RGB->CMYK leaves K at 0, which would not test the K channel).
rgb = np.asarray(base).astype(np.float64)
k = np.clip(255 - rgb.max(axis=-1), 0, 255)
cmy = [np.clip(255 - rgb[..., c] - k, 0, 255) for c in range(3)]
cmyk = np.stack(cmy + [k], axis=-1).astype(np.uint8)
Image.fromarray(cmyk, "CMYK").save("cmyk.jpg", quality=90)  # libjpeg writes Adobe APP14, transform 0, inverted

# YCCK: libjpeg cannot be asked for it through PIL, so write the YCC-transformed planes as a plain Adobe CMYK JPEG
# and flip the APP14 transform byte to 2. A YCCK decoder turns them back into (inverted) CMYK = `stored` below.
stored = 255.0 - cmyk.astype(np.float64)  # what PIL writes for an Adobe CMYK file ("CMYK;I")
r_, g_, b_ = (255.0 - stored[..., c] for c in range(3))  # YCCK decoding yields CMY = 255 - RGB(YCC)
yy = 0.299 * r_ + 0.587 * g_ + 0.114 * b_
cb = 128 - 0.168736 * r_ - 0.331264 * g_ + 0.5 * b_
cr = 128 + 0.5 * r_ - 0.418688 * g_ - 0.081312 * b_
ycc_k = np.stack([yy, cb, cr, stored[..., 3]], axis=-1)
buf = io.BytesIO()
Image.fromarray(np.clip(np.rint(255 - ycc_k), 0, 255).astype(np.uint8), "CMYK").save(buf, "JPEG", quality=95)
data = bytearray(buf.getvalue())
app14 = data.index(b"\xff\xee\x00\x0eAdobe")  # transform is byte 15: marker, length, "Adobe", 3 x u16
assert data[app14 + 15] == 0, "expected an Adobe CMYK (transform 0) segment"
data[app14 + 15] = 2
open("ycck.jpg", "wb").write(bytes(data))
with Image.open("ycck.jpg") as im:
    assert im.info.get("adobe_transform") == 2 and im.mode == "CMYK"

for o in range(1, 9):
    base.save(f"exif_orient_{o}.jpg", quality=90, exif=exif_orientation(o, b"MM"))
base.save("exif_orient_6_le.jpg", quality=90, exif=exif_orientation(6, b"II"))

png = io.BytesIO()
base.save(png, "PNG")
open("png_as.jpg", "wb").write(png.getvalue())  # a PNG under a .jpg name, as some datasets have

pal = base.quantize(colors=32)
pal.save("palette_alpha.png", transparency=0)
rgba = base.copy()
rgba.putalpha(Image.fromarray(np.tile(np.linspace(0, 255, 64).astype(np.uint8), (48, 1))))
rgba.save("rgba.png")
base.convert("L").save("gray.png")
base.save("image.gif")
base.save("image.bmp")
base.save("image.tiff")
base.save("image.webp", quality=90)

for name in ["rgb_baseline.jpg", "rgb_progressive.jpg", "rgb_444.jpg", "gray.jpg", "cmyk.jpg", "ycck.jpg",
             "no_jfif.jpg", "icc_swapped.jpg", "adobe_rgb.jpg",
             "exif_orient_6_le.jpg", "png_as.jpg", "palette_alpha.png", "rgba.png", "gray.png", "image.gif",
             "image.bmp", "image.tiff"] + [f"exif_orient_{o}.jpg" for o in range(1, 9)]:
    write_reference(name)

# Broken files.
whole = open("rgb_baseline.jpg", "rb").read()
open("truncated.jpg", "wb").write(whole[: len(whole) // 2])
prog = open("rgb_progressive.jpg", "rb").read()
open("truncated_progressive.jpg", "wb").write(prog[: len(prog) // 2])
open("empty.jpg", "wb").write(b"")
open("garbage.jpg", "wb").write(rng.integers(0, 256, 300, dtype=np.uint8).tobytes())
open("no_frame.jpg", "wb").write(b"\xff\xd8\xff\xd9")  # SOI, EOI and nothing between

# Resizing: PIL's Image.resize(BICUBIC) (what torchvision's Resize and HF's CLIPImageProcessor call) on lossless
# sources; shorter side to S, longer side int(S * long / short) as both of those compute it.
def shorter_side(w, h, s):
    return (s, int(s * h / w)) if w <= h else (int(s * w / h), s)


for src, size, (w, h), seed in [("resize_land", 40, (96, 72), 2), ("resize_port", 33, (45, 67), 3),
                                ("resize_up", 60, (64, 48), 4)]:
    img = scene(w, h, seed)
    img.save(src + ".png")
    out = img.resize(shorter_side(w, h, size), Image.BICUBIC)
    open(f"{src}_{size}.rgb", "wb").write(out.tobytes())
    print(src, img.size, "->", out.size)

# One axis only: PIL skips the other pass.
with Image.open("resize_land.png") as im:
    for w, h in [(96, 40), (53, 72)]:
        open(f"resize_land_{w}x{h}.rgb", "wb").write(im.convert("RGB").resize((w, h), Image.BICUBIC).tobytes())

# Encoding: PIL's save(quality=90) of a lossless source, which JpegEncoder(0.9f) should reproduce.
with Image.open("resize_land.png") as im:
    im.convert("RGB").save("resize_land_q90.jpg", quality=90)
