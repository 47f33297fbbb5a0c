"""torchvision's ResNet, train mode, forward + backward of sum(pooled * R) (fc replaced by the
identity, as CLIP recipes do), timed per step: the PyTorch side of bench/resnet_step.sh."""
import sys, time, statistics, torch, torchvision

arch, batch, size, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(int(sys.argv[5]) if len(sys.argv) > 5 else torch.get_num_threads())
model = getattr(torchvision.models, arch)()
model.fc = torch.nn.Identity()
model.train()
torch.manual_seed(0)
x = torch.randn(batch, 3, size, size)
r = torch.randn(batch, model(x[:2]).shape[1])
times = []
for i in range(steps + 2):
    t0 = time.perf_counter()
    model.zero_grad(set_to_none=False)
    (model(x) * r).sum().backward()
    if i >= 2:
        times.append(time.perf_counter() - t0)
print('torch %s %s batch %d image %d threads %d: median %.3f s/step (min %.3f, max %.3f, %d steps)' % (
    torch.__version__, arch, batch, size, torch.get_num_threads(), statistics.median(times), min(times), max(times), steps))
