#!/usr/bin/env bash
# Installs what mipcandy needs on a Debian/Ubuntu machine: Deno (pinned, from npm, into
# ./.deno) and, when no WebGPU adapter is found, Mesa's software Vulkan driver (llvmpipe),
# preferring Mesa 25 from the backports suite of the machine's own Debian release.
set -euo pipefail
DENO_VERSION=2.9.6
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
deno_bin="$root/.deno/node_modules/deno/bin/deno"
if [ ! -x "$root/.deno/deno" ] || ! "$root/.deno/deno" --version 2>/dev/null | grep -q "deno $DENO_VERSION"; then
  echo "installing deno $DENO_VERSION from npm into .deno/" >&2
  mkdir -p "$root/.deno"
  npm install --silent --no-audit --no-fund --prefix "$root/.deno" "deno@$DENO_VERSION" >&2
  real="$(find "$root/.deno/node_modules/@deno" -maxdepth 2 -type f -name deno | head -n 1)"
  ln -sf "$real" "$root/.deno/deno"
fi
echo "$root/.deno/deno"
