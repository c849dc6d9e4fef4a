/**
 * The process behind `node scripts/chains.mjs start`: starts the demo chains, writes their URLs to a
 * state file (mode 0600: it holds the regtest node's throwaway RPC password), and stops them cleanly on
 * SIGTERM/SIGINT, removing the state file. Arguments:
 *   --state <file>  --fund-eth <address>[=<ether>]  --fund-btc <address>[=<coins>]  --confirm-after <ms>
 */
import { rename, rm, writeFile } from 'node:fs/promises';
import { parseEther } from 'ethers';
import { startDemoChains, type DemoChains } from './demo-chains.ts';

export interface ChainsState {
  readonly pid: number;
  readonly startedAt: string;
  readonly ethereum: { readonly label: string; readonly rpcUrl: string; readonly chainId: number };
  readonly bitcoin: { readonly label: string; readonly esploraUrl: string; readonly network: string; readonly nodeRpcUrl: string };
}

function parseArgs(argv: readonly string[]): { state: string; fundEth: { address: string; wei: bigint }[]; fundBtc: { address: string; sats: number }[]; confirmAfterMs?: number } {
  let state: string | undefined;
  let confirmAfterMs: number | undefined;
  const fundEth: { address: string; wei: bigint }[] = [];
  const fundBtc: { address: string; sats: number }[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    const [address, amount] = value.split('=');
    if (flag === '--state') state = value;
    else if (flag === '--confirm-after') confirmAfterMs = Number(value);
    else if (flag === '--fund-eth') fundEth.push({ address: address as string, wei: parseEther(amount ?? '10') });
    else if (flag === '--fund-btc') {
      const sats = Math.round(Number(amount ?? '1') * 1e8);
      if (!Number.isSafeInteger(sats) || sats <= 0) throw new Error(`--fund-btc ${value}: not an amount`);
      fundBtc.push({ address: address as string, sats });
    } else throw new Error(`unknown argument ${flag}`);
  }
  if (!state) throw new Error('--state <file> is required');
  return { state, fundEth, fundBtc, ...(confirmAfterMs !== undefined ? { confirmAfterMs } : {}) };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const chains: DemoChains = await startDemoChains(args);
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await chains.stop().catch((error: unknown) => console.error('chains: stop:', error));
    await rm(args.state, { force: true });
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  const state: ChainsState = {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    ethereum: { label: chains.ethereum.label, rpcUrl: chains.ethereum.rpcUrl, chainId: chains.ethereum.chainId },
    bitcoin: { label: chains.bitcoin.label, esploraUrl: chains.bitcoin.esploraUrl, network: chains.bitcoin.network, nodeRpcUrl: chains.bitcoin.node.rpcUrl },
  };
  await writeFile(`${args.state}.part`, JSON.stringify(state, null, 2), { mode: 0o600 });
  await rename(`${args.state}.part`, args.state);
  console.log(`chains: up: ${JSON.stringify({ ethereum: state.ethereum.rpcUrl, bitcoin: state.bitcoin.esploraUrl })}`);
}

main().catch((error: unknown) => {
  console.error('chains: failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
