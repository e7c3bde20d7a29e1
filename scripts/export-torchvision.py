#!/usr/bin/env python3
"""Exports torchvision models to ONNX the way users do (torch.onnx.export, eval mode), with inputs and PyTorch's
outputs beside each, so PXP's import can be checked against PyTorch itself.

  /usr/bin/python3 scripts/export-torchvision.py --fixtures DIR        small members of each family, for the tests
  /usr/bin/python3 scripts/export-torchvision.py --models resnet50,vit_b_16 --size 224 --out DIR   full size

Each model gets DIR/<name>/model.onnx, x.npy (NCHW float32) and outputs.npy (PyTorch's logits for x). Weights are
random (no pretrained weights are reachable here) but not trivial: batch-norm statistics and the ViT head are drawn
at random too, so folding and every layer matter. Needs Debian's python3-torch and python3-torchvision.
"""
import argparse
import json
import os
import sys
import time
import warnings

import numpy as np
import torch
import torchvision
from torchvision.models.vgg import VGG, make_layers
from torchvision.models.vision_transformer import VisionTransformer

warnings.filterwarnings('ignore')


def randomize(model, seed):
    """Random batch-norm statistics and affine parameters, and a random classifier where torchvision zeroes it."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(n, generator=g) * 0.5 + 0.75)
            m.weight.data.copy_(torch.rand(n, generator=g) * 0.5 + 0.75)
            m.bias.data.copy_(torch.randn(n, generator=g) * 0.1)
    if isinstance(model, VisionTransformer):
        model.heads.head.weight.data.copy_(torch.randn(model.heads.head.weight.shape, generator=g) * 0.05)
        model.heads.head.bias.data.copy_(torch.randn(model.heads.head.bias.shape, generator=g) * 0.05)
    return model.eval()


def small_vgg(bn):
    # VGG's structure (features, 7×7 adaptive pool, flatten, three linear layers) at a width tests can afford.
    cfg = [8, 'M', 16, 'M', 16, 16, 'M', 32, 32, 'M', 32, 32, 'M']
    m = VGG(make_layers(cfg, batch_norm=bn), num_classes=10, init_weights=True)
    m.classifier = torch.nn.Sequential(
        torch.nn.Linear(32 * 7 * 7, 64), torch.nn.ReLU(True), torch.nn.Dropout(),
        torch.nn.Linear(64, 64), torch.nn.ReLU(True), torch.nn.Dropout(), torch.nn.Linear(64, 10))
    return m


def small_vit():
    return VisionTransformer(image_size=32, patch_size=8, num_layers=3, num_heads=4, hidden_dim=32, mlp_dim=64, num_classes=10)


class TinyCnn(torch.nn.Module):
    """A CNN a test can rebuild as a tfjs model from weights.npy files: 3×3 convs with symmetric pad 1 (= 'same'),
    max pooling, an NCHW flatten of a 3×3 map, two linear layers."""
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 6, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(6, 8, 3, padding=1)
        self.pool = torch.nn.MaxPool2d(2)
        self.fc1 = torch.nn.Linear(8 * 3 * 3, 16)
        self.fc2 = torch.nn.Linear(16, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        return self.fc2(torch.relu(self.fc1(torch.flatten(x, 1))))


class Unsupported(torch.nn.Module):
    """Ops PXP does not read (sin, cos), to check that all of them are named at once."""
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(torch.sin(x) + torch.cos(x))


# name: (constructor, input size, export options)
FIXTURES = {
    'resnet18': (lambda: torchvision.models.resnet18(num_classes=10), 64, {}),
    'resnet50': (lambda: torchvision.models.resnet50(num_classes=10), 64, {}),
    'resnet18_static_opset13': (lambda: torchvision.models.resnet18(num_classes=10), 64, {'opset': 13, 'dynamic': False}),
    'resnet18_bn_kept': (lambda: torchvision.models.resnet18(num_classes=10), 64, {'preserve': True}),
    'mobilenet_v2': (lambda: torchvision.models.mobilenet_v2(num_classes=10, width_mult=0.5), 64, {}),
    'vgg_small_bn': (lambda: small_vgg(True), 224, {}),
    'vgg_small': (lambda: small_vgg(False), 224, {'opset': 16}),
    'vit_small': (small_vit, 32, {}),
    'vit_small_opset16_nofold': (small_vit, 32, {'opset': 16, 'fold': False}),
    'tiny_cnn': (TinyCnn, 12, {'channels': 1, 'weights': True}),
    'squeezenet': (lambda: torchvision.models.squeezenet1_1(num_classes=10), 64, {}),
}

FULL = {
    'resnet18': lambda: torchvision.models.resnet18(),
    'resnet34': lambda: torchvision.models.resnet34(),
    'resnet50': lambda: torchvision.models.resnet50(),
    'resnet101': lambda: torchvision.models.resnet101(),
    'vgg11': lambda: torchvision.models.vgg11(),
    'vgg11_bn': lambda: torchvision.models.vgg11_bn(),
    'vgg16': lambda: torchvision.models.vgg16(),
    'vgg16_bn': lambda: torchvision.models.vgg16_bn(),
    'mobilenet_v2': lambda: torchvision.models.mobilenet_v2(),
    'vit_b_16': lambda: torchvision.models.vit_b_16(),
}


def full_model(name):
    """A full-size torchvision model with random weights, the same ones for a name wherever it is built (the export,
    bench/zennit_reference.py): seeded by the name, not by the order of a --models list."""
    import zlib
    torch.manual_seed(zlib.crc32(name.encode()))
    return randomize(FULL[name](), zlib.crc32(name.encode()) % 1000)


def export(model, size, out_dir, samples, opset=17, dynamic=True, fold=True, preserve=False, seed=0, channels=3, weights=False, shape=None):
    os.makedirs(out_dir, exist_ok=True)
    g = torch.Generator().manual_seed(seed + 1)
    x = torch.randn(samples, *(shape or (channels, size, size)), generator=g)
    with torch.no_grad():
        y = model(x)
    kwargs = dict(opset_version=opset, input_names=['input'], output_names=['logits'], do_constant_folding=fold)
    if dynamic:
        kwargs['dynamic_axes'] = {'input': {0: 'batch'}, 'logits': {0: 'batch'}}
    if preserve:
        kwargs['training'] = torch.onnx.TrainingMode.PRESERVE
    t0 = time.time()
    torch.onnx.export(model, x, os.path.join(out_dir, 'model.onnx'), **kwargs)
    np.save(os.path.join(out_dir, 'x.npy'), x.numpy().astype(np.float32))
    np.save(os.path.join(out_dir, 'outputs.npy'), y.numpy().astype(np.float32))
    if weights:
        for name, p in model.state_dict().items():
            np.save(os.path.join(out_dir, f'{name}.npy'), p.numpy().astype(np.float32))
    return time.time() - t0


def external_data_copy(src, dst):
    """The same model with its weights in an external data file, as torch.onnx.export writes models over 2 GB."""
    import shutil
    import onnx
    os.makedirs(dst, exist_ok=True)
    model = onnx.load(os.path.join(src, 'model.onnx'))
    onnx.save_model(model, os.path.join(dst, 'model.onnx'), save_as_external_data=True, all_tensors_to_one_file=True,
                    location='model.onnx.data', size_threshold=0)
    for f in ('x.npy', 'outputs.npy'):
        shutil.copy(os.path.join(src, f), os.path.join(dst, f))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--fixtures', help='write the small test fixtures into this folder')
    ap.add_argument('--models', help='comma-separated torchvision models to export at full size')
    ap.add_argument('--size', type=int, default=224)
    ap.add_argument('--samples', type=int, default=4)
    ap.add_argument('--out', help='output folder for --models')
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(2)
    done = {}
    if args.fixtures:
        for name, (make, size, opts) in FIXTURES.items():
            model = randomize(make(), 0)
            secs = export(model, size, os.path.join(args.fixtures, name), args.samples, opset=opts.get('opset', 17),
                          dynamic=opts.get('dynamic', True), fold=opts.get('fold', True), preserve=opts.get('preserve', False),
                          channels=opts.get('channels', 3), weights=opts.get('weights', False))
            done[name] = {'size': size, 'exportSeconds': round(secs, 2), **opts}
        export(Unsupported().eval(), 0, os.path.join(args.fixtures, 'unsupported'), 2, shape=(4,))
        external_data_copy(os.path.join(args.fixtures, 'tiny_cnn'), os.path.join(args.fixtures, 'tiny_cnn_external'))
        with open(os.path.join(args.fixtures, 'fixtures.json'), 'w') as f:
            json.dump({'torch': torch.__version__, 'torchvision': torchvision.__version__, 'models': done}, f, indent=1)
    if args.models:
        if not args.out:
            sys.exit('--models needs --out DIR')
        for name in args.models.split(','):
            if name not in FULL:
                sys.exit(f'unknown model {name}; one of {", ".join(FULL)}')
            secs = export(full_model(name), args.size, os.path.join(args.out, name), args.samples)
            done[name] = {'size': args.size, 'exportSeconds': round(secs, 2)}
            print(f'{name}: exported in {secs:.1f} s', flush=True)
    if not done:
        ap.print_help()


if __name__ == '__main__':
    main()
