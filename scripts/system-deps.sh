#!/usr/bin/env bash
# Installs the system libraries Open3D, Qt and headless rendering need (Debian/Ubuntu), and the
# PostgreSQL server the tests start throwaway team-archive catalogues from.
# Skips apt-get when everything is already there; needs root (or sudo) otherwise.
set -euo pipefail
PACKAGES=(
  python3 python3-venv python3-pip
  libgl1 libegl1 libgomp1 libusb-1.0-0 libgl1-mesa-dri mesa-vulkan-drivers
  libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
  libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxcb-xfixes0
  libfontconfig1 libdbus-1-3 fonts-dejavu-core xvfb xauth
  postgresql postgresql-contrib
)
# The tests also drive a headless browser over exported pages.
if [ "${WITH_BROWSER:-0}" = 1 ]; then PACKAGES+=(chromium); fi
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "Please install these system packages: ${missing[*]}" >&2; exit 1
fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "Installing system packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
