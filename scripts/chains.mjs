#!/usr/bin/env node
// Demo mode's local chains: Anvil (Ethereum, chain id 31337) and a litecoind -regtest node behind an
// Esplora-compatible server, all on 127.0.0.1, in one background process.
//   node scripts/chains.mjs start [--fund-eth 0xADDR[=ether]] [--fund-btc rltc1ADDR[=coins]] [--confirm-after ms] [--json]
//   node scripts/chains.mjs status [--json]
//   node scripts/chains.mjs stop
// `start` prints the URLs (or the running chains' URLs when they are already up). The state file
// (.tmp/chains/state.json) holds the URLs; the log is .tmp/chains/chains.log (TAPDESK_CHAINS_DIR
// moves both, e.g. for tests next to a developer's own running chains). litecoind comes from
// Debian (bash scripts/system-deps.sh app installs it as root); Anvil from npm.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const dir = process.env.TAPDESK_CHAINS_DIR ? path.resolve(process.env.TAPDESK_CHAINS_DIR) : path.join(root, '.tmp', 'chains');
const stateFile = path.join(dir, 'state.json');
const logFile = path.join(dir, 'chains.log');
// The daemon is bundled inside the repository so that its packages resolve from node_modules.
const daemonFile = path.join(root, '.tmp', 'chains-daemon.mjs');
const [command, ...rest] = process.argv.slice(2);
const json = rest.includes('--json');
const passThrough = rest.filter((a) => a !== '--json');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// A process that has exited but is not reaped yet (a zombie: its parent, init, reaps it later) is gone.
const alive = (pid) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
};
const readState = () => {
  try {
    const state = JSON.parse(readFileSync(stateFile, 'utf8'));
    return alive(state.pid) ? state : undefined;
  } catch {
    return undefined;
  }
};
const print = (state, verb) => {
  if (json) return console.log(JSON.stringify({ ethereum: state.ethereum, bitcoin: { ...state.bitcoin, nodeRpcUrl: undefined } }));
  console.log(`chains: ${verb} (pid ${state.pid})`);
  console.log(`  Ethereum  ${state.ethereum.rpcUrl}   JSON-RPC, chain id ${state.ethereum.chainId} (${state.ethereum.label})`);
  console.log(`  Bitcoin   ${state.bitcoin.esploraUrl}   Esplora REST, ${state.bitcoin.network} (${state.bitcoin.label})`);
  console.log('  stop them with: node scripts/chains.mjs stop');
};
const logTail = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n') : '');

async function start() {
  const running = readState();
  if (running) return print(running, 'already running');
  mkdirSync(dir, { recursive: true });
  const { build } = await import('esbuild');
  await build({
    absWorkingDir: root,
    entryPoints: ['main/core/chains/local/chains-daemon.ts'],
    outfile: daemonFile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    logLevel: 'warning',
  });
  const log = openSync(logFile, 'w');
  const child = spawn(process.execPath, [daemonFile, '--state', stateFile, ...passThrough], { cwd: root, detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  let exited = false;
  child.on('exit', () => (exited = true));
  child.unref();
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const state = readState();
    if (state) return print(state, 'started');
    if (exited) break;
    await sleep(100);
  }
  if (!exited) child.kill('SIGTERM');
  console.error(`chains: failed to start; the log says:\n${logTail()}`);
  process.exit(1);
}

async function stop() {
  const state = readState();
  if (!state) return console.log('chains: not running');
  process.kill(state.pid, 'SIGTERM');
  const deadline = Date.now() + 45_000;
  while (alive(state.pid) && Date.now() < deadline) await sleep(100);
  if (alive(state.pid)) process.kill(state.pid, 'SIGKILL');
  console.log('chains: stopped');
}

if (command === 'start') await start();
else if (command === 'stop') await stop();
else if (command === 'status') {
  const state = readState();
  if (state) print(state, 'running');
  else {
    console.log(json ? 'null' : 'chains: not running');
    process.exitCode = 3;
  }
} else {
  console.error('usage: node scripts/chains.mjs start|status|stop [--fund-eth 0xADDR[=ether]] [--fund-btc ADDR[=coins]] [--confirm-after ms] [--json]');
  process.exit(2);
}
