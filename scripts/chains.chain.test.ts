/**
 * scripts/chains.mjs, as demo mode uses it: start (funding an ETH and a regtest address), status, the
 * Esplora server confirming a broadcast on its own, stop (every process gone, state removed).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseEther, Wallet, id as keccakText } from 'ethers';
import { afterAll, describe, expect, it } from 'vitest';
import { EsploraClient } from '../main/core/chains/esplora.ts';
import { EthereumRpcClient } from '../main/core/chains/ethereum-rpc.ts';
import { buildSpend, p2wpkhWallet, testKey } from '../main/core/chains/test-support/btc-spend.ts';

const run = promisify(execFile);
const dir = mkdtempSync(path.join(tmpdir(), 'tapdesk-chains-'));
const env = { ...process.env, TAPDESK_CHAINS_DIR: dir };
const chains = (...args: string[]) => run(process.execPath, ['scripts/chains.mjs', ...args], { env, cwd: path.resolve(import.meta.dirname, '..') });

afterAll(async () => {
  await chains('stop').catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('scripts/chains.mjs', () => {
  it('starts both chains funded, confirms broadcasts by itself, and stops everything', async () => {
    const eth = new Wallet(keccakText('chains script: eth')).address;
    const btc = p2wpkhWallet(testKey('chains script: btc'));
    const started = await chains('start', '--fund-eth', `${eth}=2.5`, '--fund-btc', `${btc.address}=0.75`, '--confirm-after', '1000', '--json');
    const urls = JSON.parse(started.stdout) as { ethereum: { rpcUrl: string; chainId: number; label: string }; bitcoin: { esploraUrl: string; network: string; label: string } };
    expect(urls.ethereum.chainId).toBe(31337);
    expect(urls.ethereum.label).toMatch(/^Demo chain/);
    expect(urls.bitcoin).toMatchObject({ network: 'litecoin-regtest', label: expect.stringMatching(/^Demo chain/) });
    expect(JSON.parse((await chains('start', '--json')).stdout)).toEqual(urls); // already running: the same chains
    expect((await chains('status')).stdout).toContain(urls.bitcoin.esploraUrl);

    const ethereum = new EthereumRpcClient({ url: urls.ethereum.rpcUrl });
    expect(await ethereum.getBalance(eth)).toBe(parseEther('2.5'));
    const esplora = new EsploraClient({ baseUrl: urls.bitcoin.esploraUrl });
    expect((await esplora.address(btc.address)).confirmedBalance).toBe(75_000_000);

    // Nobody mines here: the server mines a block 1 s after the broadcast.
    const spend = buildSpend(btc, await esplora.addressUtxos(btc.address), btc.address, 10_000_000);
    await esplora.broadcast(spend.hex);
    expect((await esplora.txStatus(spend.txid)).confirmed).toBe(false);
    await expect.poll(async () => (await esplora.txStatus(spend.txid)).confirmed, { timeout: 10_000, interval: 100 }).toBe(true);

    expect((await chains('stop')).stdout).toContain('stopped');
    expect(existsSync(path.join(dir, 'state.json'))).toBe(false);
    const error = await ethereum.chainId().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BACKEND_UNREACHABLE' });
    expect(await esplora.tipHeight().catch((e: unknown) => (e as { code: string }).code)).toBe('BACKEND_UNREACHABLE');
    expect((await chains('status').catch((e: { stdout: string }) => e)).stdout).toContain('not running');
  });
});
