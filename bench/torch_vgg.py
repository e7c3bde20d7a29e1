"""The VGG-style model of src/core/models/vgg.ts in PyTorch, for side-by-side timings (bench/run.mjs).

Usage: /usr/bin/python3 bench/torch_vgg.py [threads=2] [repeats=15] [warmup=3]

Prints one JSON line with the median times, measured with torch.set_num_threads(threads) on 28x28x1 inputs:
  train_step_ms            batch 64, model.train(), Adam, cross-entropy: zero_grad + forward + backward + step
  infer_ms                 batch 64, model.eval(), torch.no_grad() forward
  inputxgrad_ms            per batch size (32 and 64), model.eval(): forward + backward of the target logits to the
                           input only (parameters frozen, so no weight gradients are computed) + input * grad
  inputxgrad_samples_per_s the better of the batch sizes, samples per second
"""
import json
import os
import sys
import time

import torch
import torch.nn as nn

THREADS = int(sys.argv[1]) if len(sys.argv) > 1 else 2
REPEATS = int(sys.argv[2]) if len(sys.argv) > 2 else 15
WARMUP = int(sys.argv[3]) if len(sys.argv) > 3 else 3
torch.set_num_threads(THREADS)
torch.manual_seed(0)


def block(cin, cout):
    return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU()]


model = nn.Sequential(
    *block(1, 16), *block(16, 16), nn.MaxPool2d(2),
    *block(16, 32), *block(32, 32), nn.MaxPool2d(2),
    *block(32, 64), *block(64, 64), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(576, 64), nn.ReLU(), nn.Dropout(0.3), nn.Linear(64, 10),
)
opt = torch.optim.Adam(model.parameters(), 1e-3)
x = torch.rand(64, 1, 28, 28)
y = torch.arange(64) % 10
loss_fn = nn.CrossEntropyLoss()


def median_ms(fn, repeats=REPEATS, warmup=WARMUP):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return times[len(times) // 2]


# 1. Training step.
def train_step():
    opt.zero_grad(set_to_none=True)
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()


model.train()
train_ms = median_ms(train_step)

# 2. Inference.
model.eval()


def infer():
    with torch.no_grad():
        model(x)


infer_ms = median_ms(infer)

# 3. Input x gradient. Only the input needs a gradient: freezing the parameters keeps autograd from computing (and
# accumulating) weight gradients, which an attribution has no use for.
opt.zero_grad(set_to_none=True)
for p in model.parameters():
    p.requires_grad_(False)


def input_x_grad(xb, yb):
    xi = xb.clone().requires_grad_(True)
    out = model(xi)
    out.gather(1, yb[:, None]).sum().backward()
    return (xi * xi.grad).detach()


ixg_ms = {}
for n in (32, 64):
    xb, yb = x[:n].contiguous(), y[:n].contiguous()
    ixg_ms[str(n)] = median_ms(lambda: input_x_grad(xb, yb))
ixg_sps = {n: int(n) / ms * 1000 for n, ms in ixg_ms.items()}
best = max(ixg_sps, key=ixg_sps.get)

params = sum(p.numel() for p in model.parameters())  # trainable; BatchNorm running stats are buffers
print(json.dumps({
    "torch": torch.__version__, "threads": torch.get_num_threads(), "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
    "trainableParams": params, "batch": 64, "repeats": REPEATS, "warmup": WARMUP,
    "train_step_ms": train_ms, "infer_ms": infer_ms,
    "inputxgrad_ms": ixg_ms, "inputxgrad_samples_per_s_by_batch": ixg_sps,
    "inputxgrad_batch": int(best), "inputxgrad_samples_per_s": ixg_sps[best],
}))
