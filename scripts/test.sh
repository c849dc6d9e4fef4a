#!/usr/bin/env bash
# `npm test`: every tier on real parts.
#   1. unit (vitest, colocated *.test.ts)
#   2. PC/SC integration (*.pcsc.test.ts): the real pcscd with emulators attached through vpcd
#   3. chain (*.chain.test.ts): the chain backends against real local nodes (litecoind -regtest from
#      Debian, Anvil from npm), started and stopped by the tests themselves
#   4. end to end (e2e/*.e2e.ts): browser mode in Debian's Chromium via playwright-core; the
#      Electron spec runs where an Electron binary exists and prints why it skips otherwise
# As root on Debian it installs the system packages it needs; elsewhere it names them.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/system-deps.sh test
[ -d node_modules ] || npm ci --no-audit --no-fund
node scripts/ensure-binding.mjs
bash scripts/pcscd.sh

echo "== build"
npm run --silent build
echo "== typecheck"
npm run --silent typecheck

mkdir -p .tmp
rm -f .tmp/vitest-*.json
status=0
# Tiers run one after another: the PC/SC and end-to-end tiers share the two vpcd readers.
for tier in unit pcsc chain e2e; do
  echo "== $tier tests"
  npx vitest run --project "$tier" --reporter=default --reporter=json --outputFile.json=".tmp/vitest-$tier.json" "$@" || status=1
done
node scripts/test-summary.mjs .tmp/vitest-unit.json .tmp/vitest-pcsc.json .tmp/vitest-chain.json .tmp/vitest-e2e.json || status=1
exit $status
