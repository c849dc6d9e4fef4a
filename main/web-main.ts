/**
 * Entry point of browser mode (`npm start` where Electron is missing, or `npm start -- --browser`).
 * Flags: --port N, --no-open, --demo auto|on|off, --demo-card satochip|keycard (or TAPDESK_DEMO_CARD), --no-pcsc,
 * --reason TEXT (why browser mode).
 * Prints the address to open and, for test harnesses, one line `TAPDESK_READY {json}`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createCore } from './core/app-core.ts';
import { demoChains } from './core/chains-config.ts';
import { type DemoCardFamily, demoCardFamily } from './core/demo/demo-card.ts';
import { SettingsStore } from './core/settings-store.ts';
import type { DemoPolicy } from './core/readers.ts';
import { chromiumAppArgs, electronStatus, findChromium, projectRoot } from './runtime.ts';
import { startApprovalServer } from './approval-web.ts';
import { startWebServer } from './web.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    'no-open': { type: 'boolean', default: false },
    demo: { type: 'string', default: 'auto' },
    'demo-card': { type: 'string' },
    'no-pcsc': { type: 'boolean', default: false },
    reason: { type: 'string' },
    // Local demo chains (scripts/chains.mjs prints these); without them, the public networks.
    'eth-rpc': { type: 'string' },
    'eth-chain-id': { type: 'string' },
    esplora: { type: 'string' },
  },
  strict: true,
});

const demo = values.demo as DemoPolicy;
if (!['auto', 'on', 'off'].includes(demo)) {
  console.error(`--demo must be auto, on or off (got ${JSON.stringify(values.demo)})`);
  process.exit(2);
}

let demoCard: DemoCardFamily;
try {
  demoCard = demoCardFamily(values['demo-card'] ?? process.env.TAPDESK_DEMO_CARD);
} catch (error) {
  console.error(`--demo-card: ${(error as Error).message}`);
  process.exit(2);
}

const electron = electronStatus();
const reason = values.reason ?? (electron.available ? 'started with --browser' : `${electron.reason}: running in browser mode`);
const ethRpc = values['eth-rpc'] ?? process.env.TAPDESK_ETH_RPC;
const esplora = values.esplora ?? process.env.TAPDESK_ESPLORA;
const chains = ethRpc && esplora ? demoChains(ethRpc, esplora, Number(values['eth-chain-id'] ?? process.env.TAPDESK_ETH_CHAIN_ID ?? 31337)) : undefined;
const core = await createCore({ mode: 'browser', notices: [reason], demo, demoCardFamily: demoCard, pcsc: !values['no-pcsc'], settings: new SettingsStore(), ...(chains ? { chains } : {}) });
const root = projectRoot();
const server = await startWebServer({
  core,
  rendererDir: path.join(root, 'dist', 'renderer'),
  port: values.port ? Number(values.port) : 0,
});

const approvalServer = await startApprovalServer({ broker: core.approvals, rendererDir: path.join(root, 'dist', 'renderer') });

console.log(`Tapdesk is running in browser mode (${reason}).`);
const chromium = findChromium();
const display = Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);

// Approval windows: a Chromium app window on the approval origin where there is a display; the
// address also goes to stdout (`TAPDESK_APPROVAL {json}`) for test harnesses. The app's page never
// sees it: its id and one-time token exist only here, in that window and on this console.
core.approvals.attachWindows({
  open: ({ request, token }) => {
    const url = approvalServer.urlFor(request.id, token);
    console.log(`TAPDESK_APPROVAL ${JSON.stringify({ id: request.id, kind: request.kind, url })}`);
    if (!values['no-open'] && !process.env.CI && chromium && display) {
      const profile = mkdtempSync(path.join(os.tmpdir(), 'tapdesk-approval-'));
      spawn(chromium, chromiumAppArgs(url, profile), { stdio: 'ignore', detached: true }).unref();
    }
  },
});
const open = !values['no-open'] && !process.env.CI && chromium !== null && display;
if (open && chromium) {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'tapdesk-chromium-'));
  const child = spawn(chromium, chromiumAppArgs(server.url, profile), { stdio: 'ignore', detached: true });
  child.unref();
  console.log('Opened a Chromium app window.');
} else {
  const why = values['no-open'] ? '--no-open' : chromium === null ? 'Chromium is not installed' : !display ? 'no display' : 'CI';
  console.log(`Not opening a window (${why}). Open this address in Chromium or another browser on this machine:`);
}
console.log(`  ${server.url}`);
console.log(`TAPDESK_READY ${JSON.stringify({ url: server.url, port: server.port })}`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await server.close();
  await approvalServer.close();
  await core.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
