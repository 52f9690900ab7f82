#!/usr/bin/env bash
# The browser the web UI's journeys drive: Debian's Chromium (Playwright never downloads its own).
set -euo pipefail
browser=${MLOPS_CHROMIUM:-/usr/bin/chromium}
[ -x "$browser" ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "install-chromium: $browser is missing; install Debian's chromium package (or set MLOPS_CHROMIUM)" >&2
  exit 1
fi
echo "install-chromium: installing Debian's chromium" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
