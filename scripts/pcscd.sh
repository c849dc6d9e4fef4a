#!/usr/bin/env bash
# Starts pcscd (with the vpcd virtual readers) when it is not running, and, as root, turns on
# quick ACKs on loopback so a vpcd round trip costs ~0.2 ms instead of a 40 ms delayed ACK
# (vpcd sends each frame's length and body in two writes).
set -uo pipefail
sock="${PCSCLITE_CSOCK_NAME:-/run/pcscd/pcscd.comm}"
up() {
  [ -S "$sock" ] && timeout 3 node -e "require('net').connect(process.argv[1]).on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))" "$sock"
}

if [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null 2>&1; then
  ip route change local 127.0.0.1 dev lo proto kernel scope host src 127.0.0.1 table local quickack 1 2>/dev/null || true
  ip route change local 127.0.0.0/8 dev lo proto kernel scope host src 127.0.0.1 table local quickack 1 2>/dev/null || true
fi

if up; then exit 0; fi
if [ ! -x /usr/sbin/pcscd ]; then echo "tapdesk: pcscd is not installed (apt-get install pcscd)" >&2; exit 1; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "tapdesk: pcscd is not running; start it with: sudo systemctl start pcscd" >&2
  exit 1
fi
if command -v systemctl >/dev/null 2>&1 && systemctl is-system-running >/dev/null 2>&1; then
  systemctl start pcscd.socket pcscd.service 2>/dev/null || true
fi
up || /usr/sbin/pcscd
for _ in $(seq 1 50); do up && exit 0; sleep 0.1; done
echo "tapdesk: pcscd did not start" >&2
exit 1
