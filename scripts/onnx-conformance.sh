#!/usr/bin/env bash
# LRP conformance on models from PyTorch (../shared/conformance/onnx-cases), at the checker's tolerance (1e-3) for
# every composite but alpha-beta, which is checked at 3e-3. Why: the reference relevance was computed by zennit 0.5.1
# on the model with its batch norms, and zennit's MergeBatchNorm leaves each merged batch norm dividing by
# sqrt(1 + 1e-5), so its forward differs from the exported model (batch norms folded exactly) by ~5e-6 per layer. In
# small_resnet, sample 0 has a residual sum that nearly cancels (0.2591 − 0.2587), and alpha-beta sends a large
# relevance through it: the 5e-6 becomes 0.2 % there and 2.3e-3 overall. zennit itself, run on the exported model
# as it is, gives PXP's numbers to 7e-5; see NOTES.md ("LRP conformance on ONNX cases").
set -euo pipefail
cd "$(dirname "$0")/.."
cases=../shared/conformance/onnx-cases
loose='epsilon-alpha2-beta1-flat'
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for c in "$cases"/*/; do
  name=$(basename "$c")
  for tree in strict loose; do
    mkdir -p "$work/$tree/$name/expected"
    for f in "$c"*; do [ -d "$f" ] || ln -s "$(realpath "$f")" "$work/$tree/$name/"; done
  done
  for e in "$c"expected/*/; do
    comp=$(basename "$e")
    tree=strict
    [ "$comp" = "$loose" ] && tree=loose
    ln -s "$(realpath "$e")" "$work/$tree/$name/expected/$comp"
  done
done
status=0
node ../shared/conformance/check.mjs --cases "$work/strict" --pxp "node dist/cli.js" || status=1
echo "(alpha-beta at 3e-3, see scripts/onnx-conformance.sh)"
node ../shared/conformance/check.mjs --cases "$work/loose" --pxp "node dist/cli.js" --tol 3e-3 || status=1
exit $status
