#!/usr/bin/env bash
# Debian packages the app needs: gettext (translations), Pango/HarfBuzz for WeasyPrint PDFs, a CJK font
# so Chinese renders as glyphs, not boxes, and what pip needs to build python-ldap (LDAP login: gcc and
# the OpenLDAP and SASL headers; the Makefile runs this before pip). With --tests also OpenLDAP's slapd
# and ldap-utils (the LDAP login tests start a private slapd); with --browser also those and Chromium
# for browser tests (CI); with --screenshots Chromium and poppler-utils (pdftoppm) for `make screenshots`.
# Installs what is missing when run as root; otherwise says what to install.
set -euo pipefail
packages=(gettext libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-wqy-microhei
  gcc libc6-dev libldap-dev libsasl2-dev)
if [ "${1:-}" = "--tests" ]; then
  packages+=(slapd ldap-utils)
elif [ "${1:-}" = "--browser" ]; then
  packages+=(slapd ldap-utils chromium)
elif [ "${1:-}" = "--screenshots" ]; then
  packages+=(chromium poppler-utils)
fi
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
# The tests run slapd with their own configuration: the package is not to set up (and start) a directory.
preseed() { echo "slapd slapd/no_configuration boolean true" | "$@" debconf-set-selections; }
if [ "$(id -u)" -eq 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  preseed
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  preseed sudo
  sudo apt-get update -qq
  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "Please install these Debian packages first: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
