#!/usr/bin/env bash
# Installs the system packages Pishkhan builds and tests against, when they are missing (Debian/Ubuntu).
# Sourced by scripts/run.sh and scripts/test.sh; safe to run again.
set -euo pipefail

need=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "Installing system packages: ${need[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
if ! command -v swift >/dev/null 2>&1; then
  echo "Swift 6.1 or newer is needed: https://www.swift.org/install/linux/" >&2
  exit 1
fi
