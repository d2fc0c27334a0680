#!/usr/bin/env bash
# Installs Mesa's software Vulkan driver (llvmpipe) so WebGPU works without a GPU.
# On Debian it prefers the newer Mesa from the release's backports suite (its subgroup
# code is faster); the backports source is derived from the machine's own apt sources.
set -euo pipefail
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "No WebGPU adapter found. Install Mesa's Vulkan driver, e.g.: sudo apt-get install -y mesa-vulkan-drivers" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
src=/etc/apt/sources.list.d/debian.sources
target=()
if [ -n "$codename" ] && [ -f "$src" ] && grep -q "^Suites:.*\b$codename\b" "$src"; then
  out=/etc/apt/sources.list.d/mipcandy-backports.sources
  if [ ! -f "$out" ]; then
    # keep the first stanza that carries the release suite, with the suite swapped
    awk -v rel="$codename" 'BEGIN{RS="";ORS="\n\n"} $0 ~ ("Suites:[^\n]*" rel "( |\n|$)") && !done {sub(/Suites:[^\n]*/, "Suites: " rel "-backports"); print; done=1}' "$src" > "$out"
  fi
  target=(-t "$codename-backports")
fi
apt-get update -qq >&2 || true
if ! apt-get install -y -qq "${target[@]}" mesa-vulkan-drivers >&2; then
  apt-get install -y -qq mesa-vulkan-drivers >&2
fi
