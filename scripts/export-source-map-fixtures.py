#!/usr/bin/env python3
"""Exports test/fixtures/source-map/model.py the way a user would, for the source-map tests, together with where
Python itself says each module was built and called (the tests' reference, recorded while the model runs):

  /usr/bin/python3 scripts/export-source-map-fixtures.py DIR

DIR/verbose.onnx   torch.onnx.export(..., verbose=True): each node's doc string keeps the Python stack
DIR/plain.onnx     the same model exported without verbose (no stacks: only reading the .py files can place it)
DIR/x.npy, y.npy   40 inputs (NCHW float32), 4 per class, which the model is fitted to
DIR/truth.json     module path -> {built: line, calls: [lines]} in model.py, from the running interpreter

The model is exported from a copy of model.py in a folder that is deleted afterwards, as if it had been exported
on another machine: the stacks name a file that does not exist here. Needs Debian's python3-torch.
"""
import importlib.util
import inspect
import json
import os
import shutil
import sys
import tempfile
import warnings

import numpy as np
import torch

warnings.filterwarnings('ignore')
HERE = os.path.dirname(os.path.abspath(__file__))
MODEL_PY = os.path.join(HERE, '..', 'test', 'fixtures', 'source-map', 'model.py')


def model_frames(src):
    """Lines of the frames in the exported model.py, innermost first."""
    return [f for f in inspect.stack()[1:] if os.path.abspath(f.filename) == src]


def build(src):
    """SmallNet built from `src`, and for every module the line of model.py that built or assigned it."""
    built = {}
    assigned = {}
    orig_init = torch.nn.Module.__init__
    orig_setattr = torch.nn.Module.__setattr__

    def init(self, *a, **k):
        # Leave out the module's own constructor (`super().__init__()` in BasicBlock.__init__).
        frames = [f for f in model_frames(src) if f.frame.f_locals.get('self') is not self]
        built[id(self)] = frames[0].lineno if frames else None
        orig_init(self, *a, **k)

    def setattr_(self, name, value):
        if isinstance(value, torch.nn.Module):
            frames = model_frames(src)
            if frames:
                assigned[(id(self), name)] = frames[0].lineno
        orig_setattr(self, name, value)

    torch.nn.Module.__init__ = init
    torch.nn.Module.__setattr__ = setattr_
    try:
        spec = importlib.util.spec_from_file_location('model', src)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        torch.manual_seed(0)
        model = mod.SmallNet().eval()
    finally:
        torch.nn.Module.__init__ = orig_init
        torch.nn.Module.__setattr__ = orig_setattr
    parents = {id(c): (m, n) for m in model.modules() for n, c in m.named_children()}
    truth = {}
    for path, m in model.named_modules():
        if not path:
            continue
        parent, name = parents[id(m)]
        # An attribute of a class: the assignment; an item of a Sequential: the expression that built it.
        line = built[id(m)] if isinstance(parent, torch.nn.Sequential) else assigned.get((id(parent), name))
        truth[path] = {'built': line, 'calls': []}
    return model, truth


def record_calls(model, truth, src, x):
    """The line of model.py that calls each module (none for a Sequential's items: container.py calls them)."""
    handles = []
    for path, m in model.named_modules():
        if not path:
            continue

        def hook(_m, _inp, path=path):
            outer = [f for f in inspect.stack()[1:] if not f.filename.endswith(os.path.join('nn', 'modules', 'module.py'))]
            if outer and os.path.abspath(outer[0].filename) == src:
                truth[path]['calls'].append(outer[0].lineno)
        handles.append(m.register_forward_pre_hook(hook))
    with torch.no_grad():
        model(x)
    for h in handles:
        h.remove()


def fit(model, x, y, steps=150):
    """Fits the 40 samples (4 per class) so that accuracy means something and pruning shows as a loss."""
    torch.manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    for _ in range(steps):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        print(f'fitted: accuracy {(model(x).argmax(1) == y).float().mean().item():.3f}', file=sys.stderr)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    elsewhere = tempfile.mkdtemp(prefix='pxp-training-machine-')
    src = os.path.join(elsewhere, 'model.py')
    shutil.copy(MODEL_PY, src)
    try:
        model, truth = build(src)
        x = torch.randn(40, 3, 32, 32, generator=torch.Generator().manual_seed(1))
        y = torch.arange(40) % 10
        fit(model, x, y)
        record_calls(model, truth, src, x)
        kwargs = dict(opset_version=17, input_names=['input'], output_names=['logits'], dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}})
        torch.onnx.export(model, x, os.path.join(out, 'verbose.onnx'), verbose=True, **kwargs)
        torch.onnx.export(model, x, os.path.join(out, 'plain.onnx'), **kwargs)
        np.save(os.path.join(out, 'x.npy'), x.numpy().astype(np.float32))
        np.save(os.path.join(out, 'y.npy'), y.numpy().astype(np.int32))
    finally:
        shutil.rmtree(elsewhere)
    with open(os.path.join(out, 'truth.json'), 'w') as f:
        json.dump({'exportedFrom': src, 'torch': torch.__version__, 'modules': truth}, f, indent=1)


if __name__ == '__main__':
    main()
