"""Float64 gradients of the seed002 recipe's heads (torch-f64/seed002/grads.safetensors).

The recipe of seed002/recipe.json on CPU torch 1.13.1 / torchvision 0.14.1 (the goldens' versions)
in float64: the ResNet in eval mode with resnet/train/buffers_after's running statistics (what the
generator's module held), DistilBERT's [CLS] from distilbert/outputs/last_hidden_state.f64.npy,
residual heads, cosine logits without temperature, the mean of both cross-entropies. Prints how far
float32 and float64 are from the float32 golden; with an argument, writes the float64 gradients:
    python3 gen_seed002_f64_grads.py seed002/grads.safetensors
"""
import os, sys, numpy as np, torch, torch.nn.functional as F
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_resnet_f64_grads import build, st, G, write_f64


def head_grads(dt):
    net = build('resnet', dt)
    sd = net.state_dict()
    for k, v in st(G + 'resnet/train/buffers_after.safetensors').items():
        sd[k] = torch.from_numpy(v.copy()).to(dt)
    net.load_state_dict(sd)
    net.eval()
    with torch.no_grad():
        pooled = net(torch.from_numpy(np.load(G + 'seed002/inputs/pixel_values.npy')).to(dt))
    last = 'last_hidden_state.f64.npy' if dt == torch.float64 else 'last_hidden_state.npy'
    cls = torch.from_numpy(np.load(G + 'distilbert/outputs/' + last)[:, 0]).to(dt)
    h = {k: torch.from_numpy(v.copy()).to(dt).requires_grad_() for k, v in st(G + 'seed002/heads.safetensors').items()}

    def proj(p, x):
        e1 = x @ h[p + '.linear1.weight'].T
        e2 = F.gelu(e1) @ h[p + '.linear2.weight'].T
        return F.layer_norm(e1 + e2, (e1.shape[-1],), h[p + '.layer_norm.weight'], h[p + '.layer_norm.bias'], 1e-5)

    logits = F.normalize(proj('text_projection', cls), dim=-1) @ F.normalize(proj('image_projection', pooled), dim=-1).T
    labels = torch.arange(logits.shape[0])
    loss = (F.cross_entropy(logits.T, labels) + F.cross_entropy(logits, labels)) / 2
    loss.backward()
    return loss.item(), {k: v.grad.double().numpy() for k, v in h.items()}


if __name__ == '__main__':
    gold = st(G + 'seed002/grads.safetensors')
    for dt in (torch.float32, torch.float64):
        loss, grads = head_grads(dt)
        worst = max(np.abs(grads[k] - g).max() / np.abs(g).max() for k, g in gold.items())
        print(dt, 'loss', loss, 'golden', float(np.load(G + 'seed002/outputs/loss.npy')), 'worst gradient vs golden', worst)
    if len(sys.argv) > 1:
        write_f64(grads, sys.argv[1])
