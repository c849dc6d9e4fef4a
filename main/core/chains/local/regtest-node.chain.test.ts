/**
 * What litecoind 0.21.2 -regtest accepts, observed on the real node (the facts are written down in
 * regtest-node.ts): address encodings, P2WPKH, taproot (deployment state, bech32m addresses, a BIP341
 * key-path spend), and a clean start/stop of the helper.
 */
import { existsSync } from 'node:fs';
import { address as btcAddress } from 'bitcoinjs-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EsploraClient } from '../esplora.ts';
import { buildSpend, p2trWallet, p2wpkhWallet, testKey } from '../test-support/btc-spend.ts';
import { RegtestNode } from './regtest-node.ts';
import { startRegtestEsplora, type RegtestEsplora } from './regtest-esplora.ts';

let node: RegtestNode;
let server: RegtestEsplora;
let client: EsploraClient;

beforeAll(async () => {
  node = await RegtestNode.start();
  server = await startRegtestEsplora({ rpcUrl: node.rpcUrl });
  client = new EsploraClient({ baseUrl: server.url });
});

afterAll(async () => {
  await server?.close();
  await node?.stop();
});

describe('litecoind 0.21 regtest', () => {
  it('starts with a wallet and 101 blocks: the first coinbase is spendable', async () => {
    expect(await node.tipHeight()).toBe(101);
    const info = await node.rpc.call<{ chain: string }>('getblockchaininfo');
    expect(info.chain).toBe('regtest');
    expect(await node.wallet.call<number>('getbalance')).toBe(50);
    const network = await node.rpc.call<{ subversion: string }>('getnetworkinfo');
    expect(network.subversion).toMatch(/LitecoinCore:0\.21\./);
  });

  it('uses rltc bech32, 0x6f P2PKH and 0x3a P2SH encodings', async () => {
    expect(await node.newAddress('bech32')).toMatch(/^rltc1q[02-9ac-hj-np-z]{38}$/);
    expect(btcAddress.fromBase58Check(await node.newAddress('legacy')).version).toBe(0x6f);
    expect(btcAddress.fromBase58Check(await node.newAddress('p2sh-segwit')).version).toBe(0x3a);
    const ours = p2wpkhWallet(testKey('regtest facts: p2wpkh'));
    const checked = await node.rpc.call<{ isvalid: boolean; scriptPubKey: string }>('validateaddress', [ours.address]);
    expect(checked).toMatchObject({ isvalid: true, scriptPubKey: Buffer.from(ours.output).toString('hex') });
  });

  it('accepts a P2WPKH spend (BIP143) signed with bitcoinjs-lib', async () => {
    const wallet = p2wpkhWallet(testKey('regtest facts: p2wpkh spend'));
    await node.fund(wallet.address, 20_000_000);
    const spend = buildSpend(wallet, await client.addressUtxos(wallet.address), await node.newAddress(), 5_000_000);
    expect(await node.rpc.call('testmempoolaccept', [[spend.hex]])).toEqual([
      expect.objectContaining({ txid: spend.txid, allowed: true }),
    ]);
    expect(await client.broadcast(spend.hex)).toBe(spend.txid);
    await node.mine(1);
    expect((await client.txStatus(spend.txid)).confirmed).toBe(true);
  });

  it('has taproot active from genesis and accepts a P2TR key-path spend (BIP340 Schnorr)', async () => {
    const info = await node.rpc.call<{ softforks: Record<string, { active: boolean; type: string; bip9?: { status: string } }> }>('getblockchaininfo');
    expect(info.softforks.taproot).toMatchObject({ type: 'bip9', active: true, bip9: { status: 'active' } });
    // MWEB stays a defined-but-inactive deployment on regtest.
    expect(info.softforks.mweb?.active).toBe(false);

    const wallet = p2trWallet(testKey('regtest facts: p2tr'));
    expect(wallet.address).toMatch(/^rltc1p/);
    expect(await node.rpc.call('validateaddress', [wallet.address])).toMatchObject({ isvalid: true, witness_version: 1 });
    const { txid } = await node.fund(wallet.address, 20_000_000); // the node's wallet pays a bech32m address
    const funding = await client.tx(txid);
    expect(funding.vout.find((o) => o.address === wallet.address)?.type).toBe('v1_p2tr');

    const spend = buildSpend(wallet, await client.addressUtxos(wallet.address), await node.newAddress(), 5_000_000);
    expect(spend.tx.ins[0]?.witness).toHaveLength(1); // a key-path spend: one 64-byte Schnorr signature
    expect(spend.tx.ins[0]?.witness[0]).toHaveLength(64);
    expect(await client.broadcast(spend.hex)).toBe(spend.txid);
    await node.mine(1);
    expect((await client.txStatus(spend.txid)).confirmed).toBe(true);
    expect((await client.address(wallet.address)).confirmedBalance).toBe(spend.change);
  });

  it('stops cleanly: the process ends and its temp datadir is removed', async () => {
    const other = await RegtestNode.start({ initialBlocks: 1 });
    const pid = other.pid as number;
    expect(existsSync(other.datadir)).toBe(true);
    await other.stop();
    expect(() => process.kill(pid, 0)).toThrow();
    expect(existsSync(other.datadir)).toBe(false);
    await other.stop(); // idempotent
  });
});

