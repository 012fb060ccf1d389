#!/usr/bin/env bash
# Installs the Debian packages edgetk's emulated and loopback devices need, only when one is missing.
# Idempotent and quick when everything is present; needs root (or sudo) when something is missing.
set -euo pipefail
pkgs=(qemu-user-static mmdebstrap openssh-server adb chromium zstd)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "edgetk: installing system packages: ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
