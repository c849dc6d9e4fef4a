#!/usr/bin/env node
// nfc-pcsc is an optional dependency: where libpcsclite-dev was missing when `npm install` ran,
// its native addon did not build and npm dropped it. Once the library is there, install it again.
// Exit 0 when the binding loads (or was repaired), 1 when it still cannot load (the app then runs
// without PC/SC and says so).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const loads = () => {
  try {
    require('nfc-pcsc');
    return true;
  } catch {
    return false;
  }
};

if (loads()) process.exit(0);
const header = ['/usr/include/PCSC/winscard.h', '/usr/include/winscard.h'].some((f) => existsSync(f));
if (!header) {
  console.error('tapdesk: the PC/SC binding is not built and libpcsclite-dev is missing: PC/SC readers will not be seen.');
  console.error('tapdesk: fix: sudo apt-get install libpcsclite-dev pcscd && npm install');
  process.exit(1);
}
console.log('tapdesk: building the PC/SC binding (nfc-pcsc)...');
try {
  execFileSync('npm', ['install', '--no-audit', '--no-fund'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
} catch {
  // reported below
}
const { status } = await import('node:child_process').then(({ spawnSync }) =>
  spawnSync(process.execPath, ['-e', "require('nfc-pcsc')"], { stdio: 'ignore' }),
);
if (status === 0) {
  console.log('tapdesk: PC/SC binding ready.');
  process.exit(0);
}
console.error('tapdesk: the PC/SC binding still does not load; PC/SC readers will not be seen (try: npm rebuild nfc-pcsc).');
process.exit(1);
