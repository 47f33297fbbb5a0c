"""Float64 gradients for the ResNet goldens' training step (torch-f64/resnet*/grads.safetensors).

Rebuilds each tiny ResNet from its config.json and model.safetensors with torchvision 0.14.1's
blocks on CPU torch 1.13.1 (the goldens' versions), runs the train-mode pass of train/ in float32
and float64, prints how far each is from the float32 golden, and with a second argument writes
the float64 gradients there:
    python3 gen_resnet_f64_grads.py resnet_bottleneck resnet_bottleneck/grads.safetensors
"""
import json, struct, sys, numpy as np, torch, torch.nn as nn
import torchvision.models.resnet as R
import os
G = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + '/golden/'
def st(p):
    b = open(p, 'rb').read(); n = struct.unpack('<Q', b[:8])[0]; h = json.loads(b[8:8+n]); h.pop('__metadata__', None)
    dt = {'F32': np.float32, 'I64': np.int64, 'F64': np.float64}
    return {k: np.frombuffer(b[8+n+v['data_offsets'][0]:8+n+v['data_offsets'][1]], dtype=dt[v['dtype']]).reshape(v['shape']) for k, v in h.items()}
class Net(nn.Module):
    def __init__(s, block, layers, planes):
        super().__init__(); s.inplanes = planes[0]; s.dilation = 1; s.groups = 1; s.base_width = 64; s._norm_layer = nn.BatchNorm2d
        s.conv1 = nn.Conv2d(3, planes[0], 7, 2, 3, bias=False); s.bn1 = nn.BatchNorm2d(planes[0]); s.relu = nn.ReLU(inplace=True)
        s.maxpool = nn.MaxPool2d(3, 2, 1)
        for i in range(4):
            setattr(s, 'layer%d' % (i+1), R.ResNet._make_layer(s, block, planes[i], layers[i], stride=1 if i == 0 else 2))
        s.avgpool = nn.AdaptiveAvgPool2d(1)
    def forward(s, x):
        x = s.maxpool(s.relu(s.bn1(s.conv1(x))))
        x = s.layer4(s.layer3(s.layer2(s.layer1(x))))
        return torch.flatten(s.avgpool(x), 1)
def build(model, dtype):
    c = json.load(open(G + model + '/config.json'))
    net = Net(R.Bottleneck if c['block'] == 'bottleneck' else R.BasicBlock, c['layers'], c['planes'])
    sd = {k: torch.from_numpy(v.copy()) for k, v in st(G + model + '/model.safetensors').items() if not k.startswith('fc.')}
    net.load_state_dict(sd)
    return net.to(dtype)
def write_f64(tensors, out):
    """Float64 tensors as a safetensors file (with the metadata HF's loaders want)."""
    header, blobs, off = {}, [], 0
    for k, v in sorted(tensors.items()):
        b = np.ascontiguousarray(v, dtype='<f8').tobytes()
        header[k] = {'dtype': 'F64', 'shape': list(v.shape), 'data_offsets': [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    header['__metadata__'] = {'format': 'pt'}
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    open(out, 'wb').write(struct.pack('<Q', len(h)) + h + b''.join(blobs))


if __name__ == '__main__':
    model = sys.argv[1]
    x = torch.from_numpy(np.load(G + model + '/inputs/pixel_values.npy'))
    r = torch.from_numpy(np.load(G + model + '/train/R.npy'))
    gold = st(G + model + '/train/grads.safetensors')
    res = {}
    for dt in (torch.float32, torch.float64):
        net = build(model, dt); net.train()
        p = net(x.to(dt)); loss = (p * r.to(dt)).sum(); loss.backward()
        res[dt] = {k: v.grad.double().numpy() for k, v in net.named_parameters()}
        print(dt, 'loss', loss.item(), 'golden', np.load(G + model + '/train/loss.npy'))
    worst = []
    for k, g in gold.items():
        ref = np.abs(g).max()
        a = np.abs(res[torch.float32][k] - g).max() / ref; b = np.abs(res[torch.float64][k] - g).max() / ref
        worst.append((b, a, k))
    worst.sort(reverse=True)
    for b, a, k in worst[:6]:
        print('%-32s torch-f32-here vs golden %.2e   torch-f64 vs golden(f32) %.2e' % (k, a, b))
    if len(sys.argv) > 2:
        write_f64(res[torch.float64], sys.argv[2])
