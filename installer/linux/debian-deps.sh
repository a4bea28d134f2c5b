#!/usr/bin/env bash
# Debian packages Propreo needs to run its window and its tests (Qt's xcb/EGL runtime,
# poppler-utils for PDF checks, Xvfb for screenshots), and the packages named as arguments
# (CI: postgresql, so that one `apt-get update` serves both). Installs only what is missing,
# with sudo when not root; does nothing on a system without dpkg/apt-get.
set -euo pipefail
PACKAGES=(
    python3 python3-venv python3-pip make
    libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libfreetype6 libdbus-1-3
    libglib2.0-0 libxcb1 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0
    libxcb-render-util0 libxcb-randr0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1
    libxcb-xfixes0 libx11-xcb1
    poppler-utils fonts-dejavu-core xvfb
    "$@"
)
if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
    echo "Système sans apt : installez l'équivalent de ${PACKAGES[*]}" >&2
    exit 0
fi
missing=()
for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
echo "Installation des paquets Debian manquants : ${missing[*]}"
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
