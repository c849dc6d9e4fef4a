/**
 * The public side of each card's wallets, read once with the PIN and kept in main's memory by card
 * identity: the BIP84 account xpubs (mainnet coin 0, test networks coin 1) with the master
 * fingerprint, and the first Ethereum account. Balances and receive addresses then need no PIN;
 * the card is recognised on the reader by its authentikey (card-session.ts recogniseCard).
 * Nothing secret is kept: xpubs and addresses only.
 */
import { Bip84Account } from './btc/account.ts';
import type { BtcNetworkName } from './btc/networks.ts';
import { type EthAccount, ethAccount } from './eth/account.ts';
import { recogniseCard, withUnlockedCard } from './card-session.ts';
import type { ReaderService } from '../readers.ts';

export interface CardWallets {
  readonly cardId: string;
  /** BIP84 account 0, by coin type. */
  readonly btc: { readonly mainnet: Bip84Account; readonly test: Bip84Account };
  readonly eth: EthAccount;
}

type SessionHost = Pick<ReaderService, 'snapshot' | 'withSession'>;

/** Signet and the regtests read through the testnet account's xpub, by card wallets. */
const otherTestNetworks = new WeakMap<CardWallets, Map<BtcNetworkName, Bip84Account>>();

export class CardAccounts {
  private readonly byCard = new Map<string, CardWallets>();

  constructor(private readonly readers: SessionHost) {}

  /** Verify the PIN and read the card's public wallet data (1 + 2 xpubs + 1 ETH key). */
  async unlock(reader: string, pin: string): Promise<CardWallets> {
    return withUnlockedCard(this.readers, reader, pin, async ({ signer, cardId }) => {
      const mainnet = await Bip84Account.fromCard(signer, { network: 'mainnet' });
      const test = await Bip84Account.fromCard(signer, { network: 'testnet', masterFingerprint: mainnet.masterFingerprint });
      const wallets: CardWallets = { cardId, btc: { mainnet, test }, eth: await ethAccount(signer, 0) };
      this.byCard.set(cardId, wallets);
      return wallets;
    });
  }

  /** The wallets of the card on `reader` if it was unlocked before (no PIN needed), else null. */
  async on(reader: string): Promise<CardWallets | null> {
    const cardId = await recogniseCard(this.readers, reader, [...this.byCard.keys()]);
    return cardId ? this.byCard.get(cardId)! : null;
  }

  /**
   * The BIP84 account of a card on a network: every test network shares coin type 1 and the tpub
   * encoding, so one xpub read serves testnet, signet and both regtests (addresses differ by HRP).
   */
  static btcAccount(wallets: CardWallets, network: BtcNetworkName): Bip84Account {
    if (network === 'mainnet') return wallets.btc.mainnet;
    if (network === 'testnet') return wallets.btc.test;
    // One account per network and card, kept: the keys discovery derived serve the next send.
    let byNetwork = otherTestNetworks.get(wallets);
    if (!byNetwork) otherTestNetworks.set(wallets, (byNetwork = new Map()));
    let account = byNetwork.get(network);
    if (!account) byNetwork.set(network, (account = wallets.btc.test.withNetwork(network)));
    return account;
  }
}
