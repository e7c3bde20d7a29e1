"""The VGG-style model of src/core/models/vgg.ts in PyTorch, for side-by-side timings (bench/run.mjs).

Prints one JSON line: {"train_step_ms": ..., "infer_ms": ..., "inputxgrad_samples_per_s": ...} measured with
torch.set_num_threads(THREADS) on batch 64 of 28x28x1 inputs.
"""
import json
import sys
import time

import torch
import torch.nn as nn

THREADS = int(sys.argv[1]) if len(sys.argv) > 1 else 2
REPEATS = int(sys.argv[2]) if len(sys.argv) > 2 else 20
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


def median_ms(fn, repeats=REPEATS, warmup=3):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return times[len(times) // 2]


def train_step():
    opt.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()


model.train()
train_ms = median_ms(train_step)
model.eval()


def infer():
    with torch.no_grad():
        model(x)


infer_ms = median_ms(infer)


def input_x_grad():
    xi = x.clone().requires_grad_(True)
    out = model(xi)
    out.gather(1, y[:, None]).sum().backward()
    return (xi * xi.grad).detach()


ixg_ms = median_ms(input_x_grad)
params = sum(p.numel() for p in model.parameters())
print(json.dumps({"threads": THREADS, "params": params, "batch": 64, "train_step_ms": train_ms, "infer_ms": infer_ms,
                  "inputxgrad_ms": ixg_ms, "inputxgrad_samples_per_s": 64 / ixg_ms * 1000}))
