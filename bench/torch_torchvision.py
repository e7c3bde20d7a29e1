"""PyTorch's side of bench/torchvision.mjs: a torchvision model at full size, timed on request so that the bench can
alternate PyTorch's runs with ours.

Usage: /usr/bin/python3 bench/torch_torchvision.py MODEL X.npy [threads=2] [batch=16] [--no-check]

MODEL is a torchvision constructor name (resnet50, resnet18). The model is rebuilt the way
scripts/export-torchvision.py built it (full_model: seeded by the model's name) and, when OUTPUTS.npy sits
beside X.npy, checked against the logits the exported ONNX file was made with, so both sides run the same weights
(--no-check skips that forward pass, for timing the whole script).

Reads one command per line on stdin and answers one JSON line on stdout:
  forward   eval(), torch.no_grad(), one batch: {"seconds": s}
  lrp       the attribution of one batch: zennit's EpsilonPlusFlat with ResNetCanonizer (input relevance, and per
            sample and channel the relevance at every batch norm's output (the merged conv's), summed over space in
            float64) when zennit imports (PYTHONPATH=PXP_ZENNIT_SRC); else input x gradient of the predicted logit,
            without hooks (the baseline bench/run.mjs uses): {"seconds": s}
  quit
The first line it prints describes the setup: {"ready": true, "method": "zennit" | "inputxgrad", ...}.
"""
import copy
import importlib.util
import json
import os
import sys
import time

import numpy as np
import torch
import torchvision

NAME = sys.argv[1]
X_FILE = sys.argv[2]
THREADS = int(sys.argv[3]) if len(sys.argv) > 3 else 2
BATCH = int(sys.argv[4]) if len(sys.argv) > 4 else 16
CHECK = '--no-check' not in sys.argv
torch.set_num_threads(THREADS)

# The export script's model: its randomize() sits beside this file's folder.
spec = importlib.util.spec_from_file_location('export_torchvision', os.path.join(os.path.dirname(__file__), '..', 'scripts', 'export-torchvision.py'))
export_script = importlib.util.module_from_spec(spec)
spec.loader.exec_module(export_script)
model = export_script.full_model(NAME)

x_all = torch.from_numpy(np.load(X_FILE))
x = x_all[:BATCH]
if x.shape[0] < BATCH:
    x = x.repeat((BATCH + x.shape[0] - 1) // x.shape[0], 1, 1, 1)[:BATCH]
same_weights = None
outputs_file = os.path.join(os.path.dirname(X_FILE), 'outputs.npy')
if CHECK and os.path.exists(outputs_file):
    with torch.no_grad():
        y = model(x_all[:4]).numpy()
    same_weights = bool(np.allclose(y, np.load(outputs_file)[:4], rtol=1e-4, atol=1e-4))

try:
    from zennit.attribution import Gradient
    from zennit.composites import EpsilonPlusFlat
    from zennit.torchvision import ResNetCanonizer
    import zennit
    method = 'zennit'
    zennit_version = getattr(zennit, '__version__', None)
except ImportError:
    method = 'inputxgrad'
    zennit_version = None


def forward():
    with torch.no_grad():
        plain(x)


def component_hooks(store):
    """Per batch norm (each conv's, merged into it by the canonizer): the relevance at its output, summed over space."""
    handles = []
    for name, m in model.named_modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            def on_forward(module, inputs, output, name=name):
                if output.requires_grad:
                    output.register_hook(lambda g: store.__setitem__(name, g.double().sum((2, 3))))
            handles.append(m.register_forward_hook(on_forward))
    return handles


def zennit_attributor():
    """The composite (canonizers and rule hooks) stays registered for every run: the stronger baseline."""
    attributor = Gradient(model, EpsilonPlusFlat(canonizers=[ResNetCanonizer()]))
    attributor.__enter__()
    # Registered after the composite's hooks, so the relevance (zennit's modified gradient) is what they see.
    component_hooks(store)
    return attributor


def lrp_zennit():
    xi = x.clone().requires_grad_(True)
    with torch.no_grad():
        target = model(x).argmax(1)
    _, relevance = attributor(xi, torch.eye(classes)[target])
    return relevance


def lrp_inputxgrad():
    xi = x.clone().requires_grad_(True)
    out = model(xi)
    out.gather(1, out.argmax(1, keepdim=True)).sum().backward()
    return xi * xi.grad


for p in model.parameters():
    p.requires_grad_(False)
with torch.no_grad():
    classes = model(x[:1]).shape[1]
store = {}
# The forward is timed on a copy without zennit's hooks and canonizers.
plain = copy.deepcopy(model)
attributor = zennit_attributor() if method == 'zennit' else None
print(json.dumps({'ready': True, 'method': method, 'zennit': zennit_version, 'torch': torch.__version__,
                  'torchvision': torchvision.__version__, 'threads': torch.get_num_threads(), 'batch': BATCH,
                  'sameWeightsAsExport': same_weights}), flush=True)
for line in sys.stdin:
    cmd = line.strip()
    if cmd == 'quit':
        break
    t0 = time.perf_counter()
    if cmd == 'forward':
        forward()
    elif cmd == 'lrp':
        lrp_zennit() if method == 'zennit' else lrp_inputxgrad()
    else:
        print(json.dumps({'error': f'unknown command {cmd}'}), flush=True)
        continue
    print(json.dumps({'seconds': time.perf_counter() - t0}), flush=True)
