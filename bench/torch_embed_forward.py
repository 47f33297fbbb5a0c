"""Reference timing for bin/clip embed: the inference forward pass of a ViT + BERT dual encoder in plain
PyTorch on the CPU, at the sizes of an HF VisionTextDualEncoderModel folder's config.json (random weights:
only the sizes matter for speed). Needs Debian's python3-torch (apt-get install python3-torch).

    /usr/bin/python3 torch_embed_forward.py MODEL_DIR --captions CAPTIONS.json [--images N] [--batch B] [--threads T]

Times images (pixels already normalised: no decoding) and texts (token ids already made: no tokenizer) per
forward pass under torch.inference_mode(), after one warm-up batch, and prints one JSON line with images/s
and texts/s. The texts are the captions of a COCO-layout captions file (those of bin/clip generate, whose
words are all whole WordPiece tokens: a caption is its words plus [CLS] and [SEP]), in file order, each
batch padded to its longest caption as bin/clip embed and HF's padding="longest" do. OpenBLAS and torch's
pool both get --threads threads (default 1: per core)."""
import argparse, json, math, os, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("model")
ap.add_argument("--images", type=int, default=2000)
ap.add_argument("--captions", required=True, help="annotations/captions_<split>2017.json of bin/clip generate")
ap.add_argument("--batch", type=int, default=64)
ap.add_argument("--threads", type=int, default=1)
args = ap.parse_args()
os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
os.environ["OMP_NUM_THREADS"] = str(args.threads)
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(args.threads)
cfg = json.load(open(os.path.join(args.model, "config.json")))
if cfg.get("model_type") != "vision-text-dual-encoder" or cfg["vision_config"].get("model_type") != "vit" \
        or cfg["text_config"].get("model_type") != "bert":
    sys.exit(f"{args.model}: this reference builds ViT + BERT dual encoders only")
vc, tc = cfg["vision_config"], cfg["text_config"]


class Layer(nn.Module):
    """One transformer layer: pre-norm (ViT) or post-norm (BERT), exact GELU, as HF's."""

    def __init__(self, c, pre_norm):
        super().__init__()
        d, self.heads, self.pre_norm = c["hidden_size"], c["num_attention_heads"], pre_norm
        eps = c.get("layer_norm_eps", 1e-12)
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))
        self.up, self.down = nn.Linear(d, c["intermediate_size"]), nn.Linear(c["intermediate_size"], d)
        self.norm1, self.norm2 = nn.LayerNorm(d, eps=eps), nn.LayerNorm(d, eps=eps)

    def attend(self, x, bias):
        b, t, d = x.shape
        split = lambda y: y.view(b, t, self.heads, d // self.heads).transpose(1, 2)
        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        w = (q @ k.transpose(-1, -2)) / math.sqrt(d // self.heads)
        if bias is not None:
            w = w + bias
        return self.o((w.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d))

    def forward(self, x, bias=None):
        if self.pre_norm:
            x = x + self.attend(self.norm1(x), bias)
            return x + self.down(F.gelu(self.up(self.norm2(x))))
        x = self.norm1(x + self.attend(x, bias))
        return self.norm2(x + self.down(F.gelu(self.up(x))))


class Vit(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, p = c["hidden_size"], c["patch_size"]
        self.patch = nn.Conv2d(c.get("num_channels", 3), d, p, p)
        self.cls = nn.Parameter(torch.randn(1, 1, d) * 0.02)
        self.pos = nn.Parameter(torch.randn(1, (c["image_size"] // p) ** 2 + 1, d) * 0.02)
        self.layers = nn.ModuleList(Layer(c, True) for _ in range(c["num_hidden_layers"]))
        self.norm = nn.LayerNorm(d, eps=c.get("layer_norm_eps", 1e-12))
        self.pool = nn.Linear(d, d)

    def forward(self, pixels):
        x = self.patch(pixels).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(len(x), -1, -1), x], 1) + self.pos
        for layer in self.layers:
            x = layer(x)
        return torch.tanh(self.pool(self.norm(x)[:, 0]))


class Bert(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["hidden_size"]
        self.words = nn.Embedding(c["vocab_size"], d)
        self.positions = nn.Embedding(c["max_position_embeddings"], d)
        self.types = nn.Embedding(c.get("type_vocab_size", 2), d)
        self.norm = nn.LayerNorm(d, eps=c.get("layer_norm_eps", 1e-12))
        self.layers = nn.ModuleList(Layer(c, False) for _ in range(c["num_hidden_layers"]))
        self.pool = nn.Linear(d, d)

    def forward(self, ids, mask):
        t = ids.shape[1]
        x = self.norm(self.words(ids) + self.positions.weight[:t] + self.types.weight[0])
        bias = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for layer in self.layers:
            x = layer(x, bias)
        return torch.tanh(self.pool(x[:, 0]))


proj = cfg.get("projection_dim", 512)
vision, text = Vit(vc).eval(), Bert(tc).eval()
vproj = nn.Linear(vc["hidden_size"], proj, bias=False)
tproj = nn.Linear(tc["hidden_size"], proj, bias=False)
lengths = [min(len(a["caption"].split()) + 2, 64, tc["max_position_embeddings"])
           for a in json.load(open(args.captions))["annotations"]]
size = vc["image_size"]


def timed(total, make, encode):
    """Items per second over `total` items in batches, after one warm-up batch."""
    with torch.inference_mode():
        encode(*make(0, min(args.batch, total)))
        start = time.perf_counter()
        done = 0
        while done < total:
            n = min(args.batch, total - done)
            out = encode(*make(done, n))
            assert out.shape == (n, proj)
            done += n
        return total / (time.perf_counter() - start)


def captions(first, n):
    batch = lengths[first:first + n]
    ids = torch.randint(min(5, tc["vocab_size"] - 1), tc["vocab_size"], (n, max(batch)))
    mask = torch.zeros_like(ids)
    for i, length in enumerate(batch):
        mask[i, :length] = 1
    return ids, mask


images_per_s = timed(args.images, lambda first, n: (torch.randn(n, 3, size, size),),
                     lambda px: F.normalize(vproj(vision(px)), dim=-1))
texts_per_s = timed(len(lengths), captions, lambda ids, mask: F.normalize(tproj(text(ids, mask)), dim=-1))
params = sum(p.numel() for m in (vision, text, vproj, tproj) for p in m.parameters())
print(json.dumps({"impl": "pytorch", "torch": torch.__version__, "threads": torch.get_num_threads(), "batch": args.batch,
                  "image_size": size, "mean_tokens": round(sum(lengths) / len(lengths), 1), "params": params,
                  "images": args.images, "texts": len(lengths),
                  "images_per_s": round(images_per_s, 1), "texts_per_s": round(texts_per_s, 1)}))
