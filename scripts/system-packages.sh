#!/usr/bin/env bash
# Debian packages the app needs: gettext (translations), Pango/HarfBuzz for WeasyPrint PDFs and a
# CJK font so Chinese renders as glyphs, not boxes. With --browser also Chromium for browser tests; with
# --screenshots Chromium and poppler-utils (pdftoppm) for `make screenshots`.
# Installs what is missing when run as root; otherwise says what to install.
set -euo pipefail
packages=(gettext libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-wqy-microhei)
if [ "${1:-}" = "--browser" ]; then
  packages+=(chromium)
elif [ "${1:-}" = "--screenshots" ]; then
  packages+=(chromium poppler-utils)
fi
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo apt-get update -qq
  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "Please install these Debian packages first: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
