#!/usr/bin/env bash
# Makes sure the Debian packages Tapdesk needs are installed.
#   scripts/system-deps.sh test    everything the test tiers need; missing ones are installed
#                                  as root, otherwise named and the script fails
#   scripts/system-deps.sh app     what the app uses (pcscd, libpcsclite-dev, chromium, litecoind for
#                                  demo mode's regtest chain); installed as root, otherwise named with
#                                  the command to run, and the app goes on
# litecoind (Litecoin Core 0.21, a Bitcoin Core 0.21 fork) is the Bitcoin-family regtest node of the
# chain and end-to-end tiers and of demo mode (main/core/chains/local/regtest-node.ts).
set -uo pipefail
purpose="${1:-test}"
case "$purpose" in
  test) wanted=(pcscd libpcsclite-dev vsmartcard-vpcd chromium iproute2 litecoind) ;;
  app) wanted=(pcscd libpcsclite-dev chromium litecoind) ;;
  *) echo "usage: $0 test|app" >&2; exit 2 ;;
esac

missing=()
for pkg in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "tapdesk: missing system packages: ${missing[*]} (this is not a Debian-like system: install their equivalents)" >&2
  [ "$purpose" = test ] && exit 1 || exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "tapdesk: missing system packages: ${missing[*]}" >&2
  echo "tapdesk: install them with: sudo apt-get install -y ${missing[*]}" >&2
  [ "$purpose" = test ] && exit 1 || exit 0
fi
echo "tapdesk: installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null || true
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/tapdesk-apt.log 2>&1; then
  echo "tapdesk: apt-get install failed (see /tmp/tapdesk-apt.log):" >&2
  tail -n 20 /tmp/tapdesk-apt.log >&2
  [ "$purpose" = test ] && exit 1 || exit 0
fi
echo "tapdesk: installed ${missing[*]}"
