/**
 * A BIP84 (native segwit, P2WPKH) account: m/84'/coin'/account'. The card gives the account's xpub
 * once; every receive (chain 0) and change (chain 1) address is then derived on the host from it.
 * `verifyAddressOnCard` asks the card to derive the key at the full path and compares, so a person
 * can check that an address shown by the host really is the card's.
 *
 * PSBTs name keys by the master key's fingerprint (first 4 bytes of HASH160 of the key at m), which
 * the account xpub does not carry: `fromCard` reads the card's master node for it, unless the caller
 * already knows it.
 */
import { HDKey } from '@scure/bip32';
import type { CardSigner } from '../signer.ts';
import { bytesToHex, equalBytes, hash160, hexToBytes } from './bytes.ts';
import { PublicChildDeriver, type ChildKey } from './ckd.ts';
import { BtcError, reasonOf } from './errors.ts';
import { btcNetwork, type BtcNetwork, type BtcNetworkName } from './networks.ts';
import { BIP84_PURPOSE, HARDENED, accountPath, chainName, formatPath, parsePath, requireChain, requireIndex, type AddressChain } from './paths.ts';
import { p2wpkhScript, scriptAddress } from './scripts.ts';

export interface AccountOptions {
  readonly network: BtcNetwork | BtcNetworkName;
  /** The account number (default 0). */
  readonly account?: number;
}

export interface XpubAccountOptions extends AccountOptions {
  /** The master key fingerprint: 4 bytes or 8 hex digits. */
  readonly masterFingerprint: Uint8Array | string;
}

export interface CardAccountOptions extends AccountOptions {
  /** When already known (e.g. remembered from an earlier session), saves reading the card's master node. */
  readonly masterFingerprint?: Uint8Array | string;
}

/** Where a key of the account sits. */
export interface KeyLocation {
  readonly chain: AddressChain;
  readonly index: number;
}

export interface AccountAddress extends KeyLocation {
  readonly path: string;
  readonly address: string;
}

export interface VerifiedAddress extends AccountAddress {
  /** The card derived the same key at `path`. */
  readonly verified: true;
}

/** How far down each chain `locateScript` looks for scripts of the account (indexes 0..n-1). */
export const DEFAULT_SCAN_DEPTH = 100;

export class Bip84Account {
  readonly network: BtcNetwork;
  readonly account: number;
  /** m/84'/coin'/account' */
  readonly path: string;
  /** The account's extended public key (xpub on mainnet, tpub on test networks). */
  readonly xpub: string;
  readonly masterFingerprint: Uint8Array;
  readonly pathIndexes: readonly number[];

  readonly #chains: readonly [PublicChildDeriver, PublicChildDeriver];
  readonly #keys: [Map<number, ChildKey>, Map<number, ChildKey>] = [new Map(), new Map()];
  readonly #scriptIndex = new Map<string, KeyLocation>();
  readonly #scanned: [number, number] = [0, 0];

  private constructor(network: BtcNetwork, account: number, node: HDKey, masterFingerprint: Uint8Array) {
    this.network = network;
    this.account = account;
    this.path = accountPath(BIP84_PURPOSE, network.coinType, account);
    this.pathIndexes = [BIP84_PURPOSE + HARDENED, network.coinType + HARDENED, account + HARDENED];
    this.xpub = node.publicExtendedKey;
    this.masterFingerprint = masterFingerprint;
    this.#chains = [new PublicChildDeriver(node.deriveChild(0)), new PublicChildDeriver(node.deriveChild(1))];
  }

  /**
   * The account of the card behind `signer`: one `xpub` call for m/84'/coin'/account', and one
   * `node('m')` for the master fingerprint unless `options.masterFingerprint` is given.
   */
  static async fromCard(signer: CardSigner, options: CardAccountOptions): Promise<Bip84Account> {
    const network = btcNetwork(typeof options.network === 'string' ? options.network : options.network.name);
    const account = requireIndex(options.account ?? 0, 'account');
    const fingerprint = options.masterFingerprint === undefined ? undefined : requireFingerprint(options.masterFingerprint);
    const xpub = await signer.xpub(accountPath(BIP84_PURPOSE, network.coinType, account), network.params.bip32.public);
    const masterFingerprint = fingerprint ?? hash160((await signer.node('m')).publicKey).slice(0, 4);
    return Bip84Account.fromXpub(xpub, { network, account, masterFingerprint });
  }

  /** A watch-only account from its xpub (depth 3, child account', the network's version bytes). */
  static fromXpub(xpub: string, options: XpubAccountOptions): Bip84Account {
    const network = btcNetwork(typeof options.network === 'string' ? options.network : options.network.name);
    const account = requireIndex(options.account ?? 0, 'account');
    const masterFingerprint = requireFingerprint(options.masterFingerprint);
    let node: HDKey;
    try {
      node = HDKey.fromExtendedKey(xpub, network.params.bip32);
    } catch (error) {
      throw new BtcError('INVALID_XPUB', `not an extended public key of ${network.name}`, { network: network.name, reason: reasonOf(error) });
    }
    if (node.privateKey) throw new BtcError('INVALID_XPUB', 'an extended PRIVATE key was given; only public keys are accepted', { network: network.name });
    if (node.depth !== 3 || node.index !== account + HARDENED) {
      throw new BtcError('INVALID_XPUB', `the key is not the node of ${accountPath(BIP84_PURPOSE, network.coinType, account)}`, {
        depth: node.depth,
        child: node.index,
        expectedChild: account + HARDENED,
      });
    }
    return new Bip84Account(network, account, node, masterFingerprint);
  }

  /**
   * The same account read with another network's encodings: test networks share coin type 1 and the
   * tpub version, so one m/84'/1'/n' xpub serves testnet, signet, regtest and litecoin-regtest.
   * INVALID_ARGUMENT across coin types (a mainnet account is not a test account).
   */
  withNetwork(network: BtcNetwork | BtcNetworkName): Bip84Account {
    const target = btcNetwork(typeof network === 'string' ? network : network.name);
    if (target.name === this.network.name) return this;
    if (target.coinType !== this.network.coinType) {
      throw new BtcError('INVALID_ARGUMENT', `an account of coin type ${this.network.coinType} cannot be used on ${target.name} (coin type ${target.coinType})`, {
        field: 'network',
        network: target.name,
        accountNetwork: this.network.name,
      });
    }
    return Bip84Account.fromXpub(this.xpub, { network: target, account: this.account, masterFingerprint: this.masterFingerprint });
  }

  get fingerprintHex(): string {
    return bytesToHex(this.masterFingerprint);
  }

  keyPath(chain: AddressChain, index: number): string {
    return formatPath([...this.pathIndexes, requireChain(chain), requireIndex(index, 'index')]);
  }

  /** The 33-byte public key at chain/index, derived on the host (cached). */
  publicKey(chain: AddressChain, index: number): Uint8Array {
    return this.#childKey(chain, index).compressed;
  }

  /** The same key as `publicKey`, 65 bytes uncompressed (signature checks skip decoding it again). */
  uncompressedPublicKey(chain: AddressChain, index: number): Uint8Array {
    return this.#childKey(chain, index).uncompressed;
  }

  #childKey(chain: AddressChain, index: number): ChildKey {
    const keys = this.#keys[requireChain(chain)];
    let key = keys.get(requireIndex(index, 'index'));
    if (!key) {
      key = this.#chains[chain].child(index);
      keys.set(index, key);
      this.#scriptIndex.set(bytesToHex(p2wpkhScript(hash160(key.compressed))), { chain, index });
    }
    return key;
  }

  script(chain: AddressChain, index: number): Uint8Array {
    return p2wpkhScript(hash160(this.publicKey(chain, index)));
  }

  address(chain: AddressChain, index: number): string {
    return scriptAddress(this.script(chain, index), this.network)!;
  }

  /** `count` addresses of `chain` from `from`. */
  addresses(chain: AddressChain, from: number, count: number): AccountAddress[] {
    requireIndex(from, 'from');
    requireIndex(count, 'count');
    return Array.from({ length: count }, (_, i) => this.describe(chain, from + i));
  }

  describe(chain: AddressChain, index: number): AccountAddress {
    return { chain, index, path: this.keyPath(chain, index), address: this.address(chain, index) };
  }

  /**
   * Where `script` is among the account's first `depth` addresses of each chain (derived on demand)
   * or among the keys derived before, or null.
   */
  locateScript(script: Uint8Array, depth: { readonly receive?: number; readonly change?: number } = {}): KeyLocation | null {
    const hex = bytesToHex(script);
    const known = this.#scriptIndex.get(hex);
    if (known) return known;
    if (script.length !== 22) return null;
    const limits = [depth.receive ?? DEFAULT_SCAN_DEPTH, depth.change ?? DEFAULT_SCAN_DEPTH] as const;
    for (const chain of [0, 1] as const) {
      for (let index = this.#scanned[chain]; index < limits[chain]; index += 1) {
        this.publicKey(chain, index);
        this.#scanned[chain] = index + 1;
        const found = this.#scriptIndex.get(hex);
        if (found) return found;
      }
    }
    return null;
  }

  /** Chain and index when `path` is m/84'/coin'/account'/chain/index of this account, else null. */
  locatePath(path: string): KeyLocation | null {
    const indexes = parsePath(path);
    if (!indexes || indexes.length !== 5) return null;
    if (!this.pathIndexes.every((value, i) => indexes[i] === value)) return null;
    const [chain, index] = [indexes[3]!, indexes[4]!];
    if ((chain !== 0 && chain !== 1) || index >= HARDENED) return null;
    return { chain, index };
  }

  /**
   * The card derives the key at this address's full path and we compare it with the host's: the
   * address is returned only when they match, ADDRESS_MISMATCH otherwise (another card, or a host
   * that derives wrongly).
   */
  async verifyAddressOnCard(signer: CardSigner, index: number, chain: AddressChain = 0): Promise<VerifiedAddress> {
    const shown = this.describe(requireChain(chain), requireIndex(index, 'index'));
    const node = await signer.node(shown.path);
    const cardScript = node.publicKey.length === 33 ? p2wpkhScript(hash160(node.publicKey)) : new Uint8Array(0);
    if (!equalBytes(cardScript, this.script(chain, index))) {
      throw new BtcError('ADDRESS_MISMATCH', `the card derives another key at this ${chainName(chain)} address's path`, {
        path: shown.path,
        address: shown.address,
        cardAddress: scriptAddress(cardScript, this.network) ?? undefined,
      });
    }
    return { ...shown, verified: true };
  }
}

function requireFingerprint(value: Uint8Array | string): Uint8Array {
  if (typeof value === 'string' && /^[0-9a-fA-F]{8}$/.test(value)) return hexToBytes(value.toLowerCase());
  if (value instanceof Uint8Array && value.length === 4) return Uint8Array.from(value);
  throw new BtcError('INVALID_ARGUMENT', 'a master fingerprint is 4 bytes (8 hex digits)', { field: 'masterFingerprint' });
}
