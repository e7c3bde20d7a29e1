#!/usr/bin/env bash
# npm run package: a production build and a .vsix (offline, with @vscode/vsce). The engine loads tfjs and
# onnxruntime-node from the package's node_modules; onnxruntime's native binary is the linux-x64 one, hence the target.
set -euo pipefail
cd "$(dirname "$0")/.."
node esbuild.js --production
version=$(node -p "require('./package.json').version")
out=${1:-pxp-studio-$version.vsix}
npx --no-install vsce package --target linux-x64 --allow-missing-repository --allow-star-activation --no-rewrite-relative-links --out "$out" >&2
size=$(stat -c %s "$out")
echo "$out ($((size / 1024 / 1024)) MiB)"
