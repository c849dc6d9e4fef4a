/**
 * An imported PSBT (made by a watch-only wallet from the card's xpub, as Sparrow does) signed by the
 * demo Satochip after approval: finalized and accepted by a real regtest node; the same PSBT with a
 * tampered card signature is rejected by the node. A malformed PSBT never reaches an approval window.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenApproval, ApprovalBroker } from '../approvals/broker.ts';
import { EsploraClient } from '../chains/esplora.ts';
import { isChainError } from '../chains/errors.ts';
import { RegtestNode } from '../chains/local/regtest-node.ts';
import { type RegtestEsplora, startRegtestEsplora } from '../chains/local/regtest-esplora.ts';
import { DEMO_PIN, createDemoWalletCard } from '../demo/demo-card.ts';
import { DEMO_READER_NAME, type ReaderService } from '../readers.ts';
import { isBtcError } from '../wallets/btc/errors.ts';
import { btcNetwork } from '../wallets/btc/networks.ts';
import { buildSendPsbt } from '../wallets/btc/psbt-build.ts';
import { importPsbt } from '../wallets/btc/psbt-codec.ts';
import { extractTransaction, finalizePsbt } from '../wallets/btc/psbt-finalize.ts';
import { discoverAccount, listUtxos } from '../wallets/btc/discovery.ts';
import { CardAccounts } from '../wallets/card-accounts.ts';
import { type BtcChain, esploraBackend } from './btc-send.ts';
import { signImportedPsbt } from './btc-psbt.ts';
import { demoReaders } from '../test-support/demo-readers.ts';

describe('imported PSBT signed with the card, on a regtest node', () => {
  let node: RegtestNode;
  let server: RegtestEsplora;
  let readers: ReaderService;
  let accounts: CardAccounts;
  let chain: BtcChain;
  const shown: OpenApproval<unknown>[] = [];
  const broker: ApprovalBroker = new ApprovalBroker({ open: (a) => (shown.push(a), queueMicrotask(() => broker.approve(a.request.id, a.token, DEMO_PIN))) });
  const core = () => ({ readers, approvals: broker, accounts });

  /** A PSBT paying `sats` to a node address, as a watch-only wallet on the card's xpub makes it. */
  async function externalPsbt(sats: number): Promise<string> {
    const wallets = (await accounts.on(DEMO_READER_NAME))!;
    const watchOnly = CardAccounts.btcAccount(wallets, 'litecoin-regtest');
    const backend = esploraBackend(chain.esplora);
    const scan = await discoverAccount(watchOnly, backend);
    const utxos = await listUtxos(backend, [...scan.receive.used, ...scan.change.used]);
    const built = buildSendPsbt(watchOnly, { recipients: [{ address: await node.newAddress(), amount: sats }], feeRate: 2, utxos, changeIndex: scan.change.nextIndex });
    return built.psbt.toBase64();
  }

  beforeAll(async () => {
    node = await RegtestNode.start();
    server = await startRegtestEsplora({ rpcUrl: node.rpcUrl });
    chain = { network: 'litecoin-regtest', esplora: new EsploraClient({ baseUrl: server.url }), unit: 'LTC' };
    const card = await createDemoWalletCard();
    readers = await demoReaders(card);
    accounts = new CardAccounts(readers);
    const wallets = await accounts.unlock(DEMO_READER_NAME, DEMO_PIN);
    await node.fund(CardAccounts.btcAccount(wallets, 'litecoin-regtest').describe(0, 0).address, 300_000_000);
  }, 120_000);

  afterAll(async () => {
    await readers?.close();
    await server?.close();
    await node?.stop();
  });

  it('signs the card inputs after approval, finalizes, and the node accepts and mines it', async () => {
    const result = await signImportedPsbt(core(), chain, { reader: DEMO_READER_NAME, psbt: await externalPsbt(40_000_000), finalize: true, broadcast: true });
    expect(result.signedInputs).toBe(1);
    expect(result.broadcast).toBe(true);
    await node.mine(1);
    expect((await chain.esplora.txStatus(result.txid!)).confirmed).toBe(true);
  });

  it('returns the signed PSBT without finalizing; with a tampered signature the node rejects it', async () => {
    const result = await signImportedPsbt(core(), chain, { reader: DEMO_READER_NAME, psbt: await externalPsbt(10_000_000), finalize: false, broadcast: false });
    expect(result.txid).toBeNull();
    const signed = importPsbt(result.psbtBase64, btcNetwork('litecoin-regtest'));
    const partial = signed.data.inputs[0]!.partialSig![0]!;
    const tampered = Uint8Array.from(partial.signature);
    tampered[10]! ^= 0x01; // inside r: still DER, no longer a valid signature
    signed.data.inputs[0]!.partialSig![0] = { pubkey: partial.pubkey, signature: tampered };
    const tx = extractTransaction(finalizePsbt(signed));
    const error = await chain.esplora.broadcast(tx.hex).catch((e: unknown) => e);
    expect(isChainError(error, 'BROADCAST_REJECTED'), String(error)).toBe(true);
    expect(String((error as { message: string }).message)).toMatch(/script|signature/i);
  });

  it('a malformed PSBT is refused before any approval window', async () => {
    const opened = shown.length;
    const error = await signImportedPsbt(core(), chain, { reader: DEMO_READER_NAME, psbt: 'cHNidP8BAHECAAAAAf//', finalize: false, broadcast: false }).catch((e: unknown) => e);
    expect(isBtcError(error), String(error)).toBe(true);
    expect(shown.length).toBe(opened);
  });
});
