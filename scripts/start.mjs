#!/usr/bin/env node
// `npm start`: gets what the app needs, builds it, and starts it.
//   - as root on Debian, installs missing system packages (pcscd, libpcsclite-dev, chromium);
//     otherwise names them and goes on without that part
//   - builds the PC/SC binding if it was skipped at install time
//   - starts pcscd when it is not running (root), otherwise says how
//   - runs the Electron app where Electron's binary is installed and a display exists;
//     otherwise browser mode, saying why. `npm start -- --browser` forces browser mode.
// Other flags go to browser mode: --port N, --no-open, --demo auto|on|off, --no-pcsc.
// Unless --demo off or --no-demo-chains: starts the local demo chains (Anvil, the regtest node behind
// its Esplora server; scripts/chains.mjs), funds the demo card on them, and points the app at them.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const args = process.argv.slice(2);
const forceBrowser = args.includes('--browser');
const noDemoChains = args.includes('--no-demo-chains') || args.join(' ').includes('--demo off');
const passThrough = args.filter((a) => a !== '--browser' && a !== '--no-demo-chains');
const step = (command, commandArgs) => spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit' }).status ?? 1;

step('bash', ['scripts/system-deps.sh', 'app']);
if (step(process.execPath, ['scripts/ensure-binding.mjs']) !== 0) {
  console.log('tapdesk: continuing without PC/SC: only the built-in demo card will be available.');
}
if (step('bash', ['scripts/pcscd.sh']) !== 0) {
  console.log('tapdesk: continuing: the app shows "PC/SC service is not running" until pcscd runs.');
}
if (step(process.execPath, ['scripts/build.mjs']) !== 0) process.exit(1);

/** The demo chains' URLs, started and the demo card funded; null (and why) when they cannot run here. */
function demoChains() {
  if (noDemoChains) return null;
  const addresses = spawnSync(process.execPath, [path.join(root, 'dist', 'main', 'demo-addresses.js')], { cwd: root, encoding: 'utf8' });
  if (addresses.status !== 0) return null;
  const { eth, btc } = JSON.parse(addresses.stdout);
  const started = spawnSync(process.execPath, ['scripts/chains.mjs', 'start', '--json', '--fund-eth', `${eth}=10`, '--fund-btc', `${btc}=5`], { cwd: root, encoding: 'utf8' });
  const line = started.stdout.trim().split('\n').at(-1) ?? '';
  try {
    const state = JSON.parse(line);
    console.log(`tapdesk: demo chains: Ethereum ${state.ethereum.rpcUrl} (chain id ${state.ethereum.chainId}), Bitcoin-family regtest ${state.bitcoin.esploraUrl}; stop them with: node scripts/chains.mjs stop`);
    return { ethRpc: state.ethereum.rpcUrl, chainId: String(state.ethereum.chainId), esplora: state.bitcoin.esploraUrl };
  } catch {
    console.log(`tapdesk: the demo chains did not start, the app uses the public networks (see .tmp/chains/chains.log):\n${started.stderr || started.stdout}`);
    return null;
  }
}
const chains = demoChains();
const chainArgs = chains ? ['--eth-rpc', chains.ethRpc, '--eth-chain-id', chains.chainId, '--esplora', chains.esplora] : [];
const chainEnv = chains ? { TAPDESK_ETH_RPC: chains.ethRpc, TAPDESK_ETH_CHAIN_ID: chains.chainId, TAPDESK_ESPLORA: chains.esplora } : {};

function electronBinary() {
  try {
    const binary = createRequire(import.meta.url)('electron');
    return typeof binary === 'string' && existsSync(binary) ? { binary } : { why: 'Electron is not installed' };
  } catch {
    return { why: "Electron's binary is not installed (its download is skipped here; run node node_modules/electron/install.js where downloads work)" };
  }
}

const electron = electronBinary();
const display = Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
let child;
if (!forceBrowser && electron.binary && display) {
  const electronArgs = [path.join(root, 'dist', 'main', 'electron.cjs')];
  if (process.getuid?.() === 0) electronArgs.unshift('--no-sandbox');
  child = spawn(electron.binary, electronArgs, { cwd: root, stdio: 'inherit', env: { ...process.env, ...chainEnv } });
} else {
  const reason = forceBrowser ? 'started with --browser' : electron.binary ? 'no display for an Electron window' : electron.why;
  console.log(`tapdesk: browser mode: ${reason}.`);
  child = spawn(process.execPath, [path.join(root, 'dist', 'main', 'web.js'), '--reason', reason, ...chainArgs, ...passThrough], {
    cwd: root,
    stdio: 'inherit',
  });
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 0));
