#!/usr/bin/env bash
# Install the Debian packages the build and the tests need (root, non-interactive).
# Nothing is installed when everything is already there, so repeated runs are quick.
set -euo pipefail
packages=(build-essential cmake pkg-config check)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" != 0 ]; then
    echo "scripts/deps.sh: missing packages: ${missing[*]} (run as root, or install them)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi
