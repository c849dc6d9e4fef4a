/**
 * The wallet flows with the card through the real pcscd: a set-up, seeded Satochip emulator in vpcd
 * reader 0, the real ReaderService, the approval broker (the approval window played by the test),
 * a real Anvil and a real regtest node (litecoind) behind our Esplora server:
 *   - an ETH transfer and a contract call mined by Anvil, the recovered sender = the card address;
 *   - personal_sign and EIP-712 signatures made by the card, verified with ethers;
 *   - a bitcoin send and an imported PSBT signed by the card and accepted by the node, and the same
 *     PSBT with a tampered signature rejected by the node.
 */
import { getAddress, parseEther, verifyMessage, verifyTypedData } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePcscd, insertVirtualCard } from '../../../drivers/virtual/pcscd-harness.ts';
import { VPCD_READER_NAMES, type VpcdCard } from '../../../drivers/virtual/vpcd.ts';
import { type OpenApproval, ApprovalBroker } from '../approvals/broker.ts';
import { EsploraClient } from '../chains/esplora.ts';
import { isChainError } from '../chains/errors.ts';
import { AnvilNode } from '../chains/local/anvil.ts';
import { RegtestNode } from '../chains/local/regtest-node.ts';
import { type RegtestEsplora, startRegtestEsplora } from '../chains/local/regtest-esplora.ts';
import { DEMO_PIN, createDemoWalletCard } from '../demo/demo-card.ts';
import { ReaderService } from '../readers.ts';
import { btcNetwork } from '../wallets/btc/networks.ts';
import { importPsbt } from '../wallets/btc/psbt-codec.ts';
import { extractTransaction, finalizePsbt } from '../wallets/btc/psbt-finalize.ts';
import { CardAccounts } from '../wallets/card-accounts.ts';
import { withUnlockedCard } from '../wallets/card-session.ts';
import { ethAccount } from '../wallets/eth/account.ts';
import { signTypedData } from '../wallets/eth/messages.ts';
import { MAINNET, customNetwork } from '../wallets/eth/networks.ts';
import { MAIL } from '../wallets/eth/test-support/eip712-mail.ts';
import { signImportedPsbt } from './btc-psbt.ts';
import { type BtcChain, esploraBackend, sendBtc } from './btc-send.ts';
import { discoverAccount, listUtxos } from '../wallets/btc/discovery.ts';
import { buildSendPsbt } from '../wallets/btc/psbt-build.ts';
import { signEthMessage } from './eth-message.ts';
import { type EthChain, sendEth } from './eth-send.ts';

const READER = VPCD_READER_NAMES[0];
/** A contract whose code is STOP: any call succeeds (init code returns the one-byte runtime 00). */
const STOP_CONTRACT_INIT = '0x6001600c60003960016000f300';

describe('wallet flows with the card through pcscd + vpcd', () => {
  let readers: ReaderService;
  let inserted: VpcdCard;
  let anvil: AnvilNode;
  let node: RegtestNode;
  let server: RegtestEsplora;
  let accounts: CardAccounts;
  let eth: EthChain;
  let btc: BtcChain;
  let cardAddress: string;
  const broker: ApprovalBroker = new ApprovalBroker({ open: (a: OpenApproval<unknown>) => queueMicrotask(() => broker.approve(a.request.id, a.token, DEMO_PIN)) });
  const core = () => ({ readers, approvals: broker, accounts });

  beforeAll(async () => {
    const pcscd = await ensurePcscd();
    if (!pcscd.running) throw new Error(`pcscd is needed: ${pcscd.problem}`);
    [anvil, node] = await Promise.all([AnvilNode.start(), RegtestNode.start()]);
    server = await startRegtestEsplora({ rpcUrl: node.rpcUrl });
    eth = { network: customNetwork(anvil.chainId, 'Anvil (local)', { testnet: true }), rpc: anvil.rpc };
    btc = { network: 'litecoin-regtest', esplora: new EsploraClient({ baseUrl: server.url }), unit: 'LTC' };
    readers = new ReaderService({ demo: 'off' });
    await readers.start();
    inserted = await insertVirtualCard(await createDemoWalletCard(), 0);
    await readers.waitFor((s) => s.readers.find((r) => r.name === READER)?.card?.status === 'identified', 10_000);
    accounts = new CardAccounts(readers);
    const wallets = await accounts.unlock(READER, DEMO_PIN);
    cardAddress = wallets.eth.address;
    await anvil.setBalance(cardAddress, parseEther('3'));
    await node.fund(CardAccounts.btcAccount(wallets, 'litecoin-regtest').describe(0, 0).address, 200_000_000);
  }, 120_000);

  afterAll(async () => {
    await inserted?.remove();
    await readers?.waitFor((s) => s.readers.find((r) => r.name === READER)?.card === null, 5000).catch(() => undefined);
    await readers?.close();
    await server?.close();
    await Promise.all([anvil?.stop(), node?.stop()]);
  });

  it('an ETH transfer and a contract call are mined by Anvil from the card address', async () => {
    const transfer = await sendEth(core(), eth, { reader: READER, to: anvil.accounts[1]!, value: '0.5' });
    expect(getAddress((await anvil.rpc.getTransaction(transfer.hash))!.from)).toBe(cardAddress);
    const deployHash = (await anvil.rpc.request('eth_sendTransaction', [{ from: anvil.accounts[0], data: STOP_CONTRACT_INIT }])) as string;
    const contract = (await anvil.rpc.waitForReceipt(deployHash)).contractAddress!;
    const call = await sendEth(core(), eth, { reader: READER, to: contract, value: '0', data: '0xdeadbeef' });
    const receipt = await anvil.rpc.waitForReceipt(call.hash);
    expect(receipt.status).toBe(1);
    expect(getAddress(receipt.from)).toBe(cardAddress);
    expect(getAddress(receipt.to!)).toBe(getAddress(contract));
  });

  it('personal_sign and EIP-712 signatures from the card verify with ethers', async () => {
    const signed = await signEthMessage(core(), { reader: READER, message: { text: 'Tapdesk through pcscd' } });
    expect(verifyMessage('Tapdesk through pcscd', signed.signature)).toBe(cardAddress);
    // The Mail example's domain says chain id 1: typed data is checked against the network it is for.
    const typed = await withUnlockedCard(readers, READER, DEMO_PIN, async ({ signer }) => signTypedData(signer, await ethAccount(signer, 0), MAIL, MAINNET));
    const { EIP712Domain: _domain, ...types } = MAIL.types;
    expect(verifyTypedData(MAIL.domain, types, MAIL.message, typed.signature)).toBe(cardAddress);
  });

  it('a bitcoin send is accepted and mined by the regtest node', async () => {
    const to = await node.newAddress();
    const sent = await sendBtc(core(), btc, { reader: READER, to, amount: '0.5', feeRate: 2 });
    await node.mine(1);
    expect((await btc.esplora.txStatus(sent.txid)).confirmed).toBe(true);
    expect((await btc.esplora.address(to)).confirmedBalance).toBe(50_000_000);
  });

  it('an imported PSBT signed by the card is accepted; with a tampered signature the node rejects it', async () => {
    const psbtFrom = async () => {
      const to = await node.newAddress();
      // Made by the app's own builder standing in for a watch-only wallet: sign-only, no broadcast.
      const result = await signImportedPsbt(core(), btc, { reader: READER, psbt: await watchOnlyPsbt(to), finalize: false, broadcast: false });
      return importPsbt(result.psbtBase64, btcNetwork('litecoin-regtest'));
    };
    const good = extractTransaction(finalizePsbt(await psbtFrom()));
    await btc.esplora.broadcast(good.hex);
    await node.mine(1);
    expect((await btc.esplora.txStatus(good.txid)).confirmed).toBe(true);

    const tampered = await psbtFrom();
    const partial = tampered.data.inputs[0]!.partialSig![0]!;
    const bad = Uint8Array.from(partial.signature);
    bad[10]! ^= 0x01;
    tampered.data.inputs[0]!.partialSig![0] = { pubkey: partial.pubkey, signature: bad };
    const error = await btc.esplora.broadcast(extractTransaction(finalizePsbt(tampered)).hex).catch((e: unknown) => e);
    expect(isChainError(error, 'BROADCAST_REJECTED'), String(error)).toBe(true);
  });

  /** A PSBT paying 0.1 to `to` from the card's coins, built watch-only from the account xpub. */
  async function watchOnlyPsbt(to: string): Promise<string> {
    const watchOnly = CardAccounts.btcAccount((await accounts.on(READER))!, 'litecoin-regtest');
    const backend = esploraBackend(btc.esplora);
    const scan = await discoverAccount(watchOnly, backend);
    const utxos = await listUtxos(backend, [...scan.receive.used, ...scan.change.used]);
    return buildSendPsbt(watchOnly, { recipients: [{ address: to, amount: 10_000_000 }], feeRate: 2, utxos, changeIndex: scan.change.nextIndex }).psbt.toBase64();
  }
});
