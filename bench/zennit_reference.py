#!/usr/bin/env python3
"""zennit's relevance for a full-size torchvision model exported by scripts/export-torchvision.py (same name, same
random weights), to compare with `pxp attribute` on its ONNX file. zennit is not installable here (no PyPI): point
PYTHONPATH at a zennit 0.5.1 source tree (its src/ folder). ResNets use ResNetCanonizer, VGGs VGGCanonizer; other
families have no zennit canonizer and are not compared.

  PYTHONPATH=/tmp/zennit/src /usr/bin/python3 bench/zennit_reference.py resnet50 DIR COMPOSITE OUT.npy

DIR holds x.npy and outputs.npy (the export); the targets are PyTorch's predictions, as pxp attribute explains them.
"""
import importlib.util
import os
import sys

import numpy as np
import torch
from zennit.attribution import Gradient
from zennit.composites import EpsilonAlpha2Beta1Flat, EpsilonGammaBox, EpsilonPlusFlat
from zennit.torchvision import ResNetCanonizer, VGGCanonizer

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location('export_torchvision', os.path.join(HERE, '..', 'scripts', 'export-torchvision.py'))
export_torchvision = importlib.util.module_from_spec(spec)
spec.loader.exec_module(export_torchvision)

COMPOSITES = {'epsilon-plus-flat': EpsilonPlusFlat, 'epsilon-alpha2-beta1-flat': EpsilonAlpha2Beta1Flat}


def main():
    name, folder, composite, out = sys.argv[1:5]
    torch.set_num_threads(2)
    canonizer = ResNetCanonizer() if name.startswith('resnet') else VGGCanonizer() if name.startswith('vgg') else None
    if canonizer is None:
        sys.exit(f'zennit has no canonizer for {name}')
    model = export_torchvision.full_model(name)
    x = torch.tensor(np.load(os.path.join(folder, 'x.npy')))
    y = np.load(os.path.join(folder, 'outputs.npy')).argmax(1)
    make = COMPOSITES[composite]
    with Gradient(model=model, composite=make(canonizers=[canonizer])) as attributor:
        _, relevance = attributor(x.clone().requires_grad_(True), torch.eye(1000)[y])
    np.save(out, relevance.detach().numpy().astype(np.float32))
    np.save(out.replace('.npy', '-targets.npy'), y.astype(np.int32))


if __name__ == '__main__':
    main()
