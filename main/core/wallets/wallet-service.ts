/**
 * What the app's Accounts and Send screens ask main for: unlock a card (PIN once), show its
 * balances and receive addresses on the configured chains, and send ETH through the approval
 * window. Backends that cannot be reached give a balance of null with the reason, never a hang.
 */
import QRCode from 'qrcode';
import { formatEther } from 'ethers';
import type { AddressCheckView, EthMessageSignatureView, BtcSendView, EthSendView, EthTypedDataSignatureView, HistoryItemView, HistoryView, PsbtSignView, RawTransactionView, SigningProgressView, WalletView } from '../../../preload/contract.ts';
import { btcExplorerUrl, ethExplorerUrl } from '../explorers.ts';
import type { ApprovalBroker } from '../approvals/broker.ts';
import { EsploraClient, type EsploraTx } from '../chains/esplora.ts';
import { EthereumRpcClient } from '../chains/ethereum-rpc.ts';
import type { ChainsConfig } from '../chains-config.ts';
import type { ReaderService } from '../readers.ts';
import { signImportedPsbt } from '../signing/btc-psbt.ts';
import { esploraBackend, sendBtc } from '../signing/btc-send.ts';
import { sendEth } from '../signing/eth-send.ts';
import { signEthTypedData } from '../signing/eth-typed-data.ts';
import { signEthMessage } from '../signing/eth-message.ts';
import { signEthRawTransaction } from '../signing/eth-raw-transaction.ts';
import type { Bip84Account } from './btc/account.ts';
import { balanceOf, discoverAccount, listUtxos } from './btc/discovery.ts';
import { formatBtcFixed } from './btc/amounts.ts';
import { type BtcNetworkName, btcNetwork } from './btc/networks.ts';
import { CardAccounts } from './card-accounts.ts';
import { withUnlockedCard } from './card-session.ts';
import { ethAccount } from './eth/account.ts';
import { EthError } from './eth/errors.ts';
import { CardNotUnlockedError } from '../signing/errors.ts';

/** Balance lookups give up quickly: the screen shows "unreachable" instead of waiting. */
const BALANCE_TIMEOUT_MS = 5000;

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}


/** A chain's name, marked as a demo chain once. */
function demoLabel(name: string, demo: boolean): string {
  return demo && !/demo/i.test(name) ? `${name} (demo chain)` : name;
}

function coinUnit(network: BtcNetworkName): string {
  return network === 'mainnet' ? 'BTC' : network === 'litecoin-regtest' ? 'LTC' : 'tBTC';
}

export class WalletService {
  readonly accounts: CardAccounts;
  private readonly progressListeners = new Set<(progress: SigningProgressView) => void>();
  /** ETH transactions sent from this app session, by the card's address (JSON-RPC keeps no account history). */
  private readonly ethSent = new Map<string, HistoryItemView[]>();

  /** Progress of every signing request (for the app window; the approval window has its own). */
  onProgress(listener: (progress: SigningProgressView) => void): () => void {
    this.progressListeners.add(listener);
    return () => this.progressListeners.delete(listener);
  }

  private progress(progress: SigningProgressView): void {
    for (const listener of this.progressListeners) listener(progress);
  }

  constructor(
    private readonly readers: Pick<ReaderService, 'snapshot' | 'withSession'>,
    private readonly approvals: ApprovalBroker,
    private readonly chains: () => ChainsConfig,
  ) {
    this.accounts = new CardAccounts(readers);
  }

  async unlock(reader: string, pin: string): Promise<WalletView> {
    await this.accounts.unlock(reader, pin);
    return this.overview(reader);
  }

  async overview(reader: string): Promise<WalletView> {
    const chains = this.chains();
    const isDemoReader = this.readers.snapshot().readers.find((r) => r.name === reader)?.kind === 'demo';
    const demo = isDemoReader || chains.eth.demo || chains.btc.demo;
    const wallets = await this.accounts.on(reader);
    if (!wallets) return { reader, locked: true, demo };
    const rpc = new EthereumRpcClient({ url: chains.eth.rpcUrl, timeoutMs: BALANCE_TIMEOUT_MS });
    const esplora = new EsploraClient({ baseUrl: chains.btc.esploraUrl, timeoutMs: BALANCE_TIMEOUT_MS });
    const account = CardAccounts.btcAccount(wallets, chains.btc.network);
    const receive = account.describe(0, 0);
    const [ethBalance, btcBalance, receiveQrSvg] = await Promise.all([
      rpc.getBalance(wallets.eth.address).then((wei) => ({ balance: formatEther(wei) }), (error: unknown) => ({ balance: null, backendError: reason(error) })),
      this.btcBalance(account, esplora).then((sats) => ({ balance: formatBtcFixed(sats) }), (error: unknown) => ({ balance: null, backendError: reason(error) })),
      QRCode.toString(receive.address, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' }),
    ]);
    return {
      reader,
      locked: false,
      demo,
      eth: { ...ethBalance, network: demoLabel(chains.eth.network.name, chains.eth.demo), chainId: chains.eth.network.chainId, address: wallets.eth.address, path: wallets.eth.path },
      btc: { ...btcBalance, network: demoLabel(btcNetwork(chains.btc.network).label, chains.btc.demo), unit: coinUnit(chains.btc.network), receiveAddress: receive.address, receivePath: receive.path, receiveQrSvg },
    };
  }

  /** The whole BIP84 account's balance (gap-limit discovery over both chains), confirmed + unconfirmed. */
  private async btcBalance(account: Bip84Account, esplora: EsploraClient): Promise<number> {
    const backend = esploraBackend(esplora);
    const scan = await discoverAccount(account, backend);
    const balance = balanceOf(await listUtxos(backend, [...scan.receive.used, ...scan.change.used]));
    return balance.confirmed + balance.unconfirmed;
  }

  async sendBtc(reader: string, to: string, amount: string, feeRate?: number): Promise<BtcSendView> {
    const chains = this.chains();
    const chain = { network: chains.btc.network, esplora: new EsploraClient({ baseUrl: chains.btc.esploraUrl }), unit: coinUnit(chains.btc.network) };
    const result = await sendBtc({ readers: this.readers, approvals: this.approvals, accounts: this.accounts }, chain, { reader, to, amount, ...(feeRate === undefined ? {} : { feeRate }) }, (s) =>
      this.progress(s.step === 'signing' ? { reader, step: 'signing', signed: s.signed, total: s.total } : { reader, step: s.step === 'sent' ? 'done' : s.step }),
    );
    return { txid: result.txid, fee: result.fee, signedInputs: result.signedInputs };
  }

  /** The card re-derives the receive addresses the Accounts screen shows (BTC index 0, ETH account 0). */
  async verifyAddresses(reader: string, pin: string): Promise<AddressCheckView> {
    const chains = this.chains();
    const wallets = await this.accounts.on(reader);
    if (!wallets) throw new CardNotUnlockedError(reader);
    const account = CardAccounts.btcAccount(wallets, chains.btc.network);
    return withUnlockedCard(this.readers, reader, pin, async ({ signer }) => {
      const btc = await account.verifyAddressOnCard(signer, 0, 0);
      const eth = await ethAccount(signer, 0);
      if (eth.address !== wallets.eth.address) throw new EthError('SIGNER_MISMATCH', 'the card derives another Ethereum address than the one shown', { expected: wallets.eth.address, actual: eth.address });
      return { btc: { address: btc.address, path: btc.path, verified: true }, eth: { address: eth.address, path: eth.path, verified: true } };
    }, { expectedCardId: wallets.cardId });
  }

  /** Recent transactions: Bitcoin from the backend (first page per used address), Ethereum from this session. */
  async history(reader: string): Promise<HistoryView> {
    const chains = this.chains();
    const wallets = await this.accounts.on(reader);
    if (!wallets) throw new CardNotUnlockedError(reader);
    const unit = coinUnit(chains.btc.network);
    const eth = { items: this.ethSent.get(wallets.eth.address.toLowerCase()) ?? [] };
    try {
      const esplora = new EsploraClient({ baseUrl: chains.btc.esploraUrl, timeoutMs: BALANCE_TIMEOUT_MS });
      const account = CardAccounts.btcAccount(wallets, chains.btc.network);
      const scan = await discoverAccount(account, esploraBackend(esplora));
      const used = [...scan.receive.used, ...scan.change.used];
      const mine = new Set(used.map((a) => a.address));
      const pages = await Promise.all(used.map((a) => esplora.addressTxs(a.address)));
      const byId = new Map<string, EsploraTx>();
      for (const tx of pages.flat()) byId.set(tx.txid, tx);
      const items = [...byId.values()]
        .map((tx) => {
          const received = tx.vout.filter((o) => o.address && mine.has(o.address)).reduce((n, o) => n + o.value, 0);
          const spent = tx.vin.filter((i) => i.prevout?.address && mine.has(i.prevout.address)).reduce((n, i) => n + i.prevout!.value, 0);
          return { tx, net: received - spent };
        })
        .sort((a, b) => (b.tx.status.blockHeight ?? Number.MAX_SAFE_INTEGER) - (a.tx.status.blockHeight ?? Number.MAX_SAFE_INTEGER))
        .slice(0, 50)
        .map(({ tx, net }) => ({
          id: tx.txid,
          amount: formatBtcFixed(net),
          confirmed: tx.status.confirmed,
          ...(tx.status.blockHeight !== undefined ? { height: tx.status.blockHeight } : {}),
          explorerUrl: btcExplorerUrl(chains.btc.network, tx.txid),
        }));
      return { btc: { unit, items }, eth };
    } catch (error) {
      return { btc: { unit, items: [], backendError: reason(error) }, eth };
    }
  }

  /** personal_sign of a text (EIP-191), through the approval window. */
  async signMessage(reader: string, text: string): Promise<EthMessageSignatureView> {
    return signEthMessage({ readers: this.readers, approvals: this.approvals }, { reader, message: { text } });
  }

  async signRawTransaction(reader: string, tx: string, broadcastIt: boolean): Promise<RawTransactionView> {
    const chains = this.chains();
    const chain = { network: chains.eth.network, rpc: new EthereumRpcClient({ url: chains.eth.rpcUrl }) };
    return signEthRawTransaction({ readers: this.readers, approvals: this.approvals, accounts: this.accounts }, chain, { reader, tx, broadcast: broadcastIt });
  }

  async signTypedData(reader: string, json: string): Promise<EthTypedDataSignatureView> {
    return signEthTypedData({ readers: this.readers, approvals: this.approvals }, this.chains().eth.network, { reader, json });
  }

  async signPsbt(reader: string, psbt: string, finalize: boolean, broadcast: boolean): Promise<PsbtSignView> {
    const chains = this.chains();
    const chain = { network: chains.btc.network, esplora: new EsploraClient({ baseUrl: chains.btc.esploraUrl }), unit: coinUnit(chains.btc.network) };
    const result = await signImportedPsbt({ readers: this.readers, approvals: this.approvals, accounts: this.accounts }, chain, { reader, psbt: psbt.trim(), finalize, broadcast }, (p) =>
      this.progress({ reader, ...p }),
    );
    return { psbtBase64: result.psbtBase64, signedInputs: result.signedInputs, txid: result.txid, txHex: result.txHex, broadcast: result.broadcast };
  }

  async sendEth(reader: string, to: string, value: string): Promise<EthSendView> {
    const chains = this.chains();
    const chain = { network: chains.eth.network, rpc: new EthereumRpcClient({ url: chains.eth.rpcUrl }) };
    const result = await sendEth({ readers: this.readers, approvals: this.approvals, accounts: this.accounts }, chain, { reader, to, value }, (step) =>
      this.progress({ reader, step: step === 'confirmed' ? 'done' : step }),
    );
    const list = this.ethSent.get(result.from.toLowerCase()) ?? [];
    list.unshift({ id: result.hash, amount: `-${value}`, confirmed: true, height: result.blockNumber, explorerUrl: ethExplorerUrl(chains.eth.network.chainId, result.hash) });
    this.ethSent.set(result.from.toLowerCase(), list);
    return { hash: result.hash, from: result.from, blockNumber: result.blockNumber };
  }
}
