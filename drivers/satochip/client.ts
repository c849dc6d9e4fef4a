/**
 * The Satochip (and, for the shared commands, Seedkeeper) protocol client
 * (../shared/protocols/satochip-seedkeeper.md; replayed against ../shared/vectors/satochip).
 *
 * It runs over any `send(command) => Promise<ResponseApdu>` (ApduTransport.send, CardSession.send,
 * a replay in tests) and takes its host randomness from an injectable `random(n)`, so recorded
 * transcripts replay byte for byte. One operation at a time: the caller serialises (a CardSession does).
 *
 * APDUs per operation (each wrapped command is one APDU):
 *   select                       1  (SELECT)
 *   getStatus                    1  (GET STATUS, plaintext)
 *   initSecureChannel            1  (INIT SC)
 *   open channel + verify PIN    2  (INIT SC, VERIFY PIN); after a power-up add SELECT (+ GET STATUS) = 3-4
 *   getExtendedKey               1  (GET EXTENDED KEY); 2 when the BIP32 cache is full (retry with P2 | 80)
 *   getXpub(path)                2  (GET EXTENDED KEY of the parent for its fingerprint, then of the path); 1 for "m"
 *   signHash(path, hash)         2  (GET EXTENDED KEY, SIGN HASH); 1 when that path was the last one derived on this channel
 *   signMessage(path, msg)       2 + max(0, ceil(len/128) - 1), + 1 GET EXTENDED KEY unless current (INIT, UPDATE per extra 128 bytes, FINAL)
 *   importSeed                   1  (IMPORT SEED)
 *   setup / verify / change / unblock / logout / label: 1 each
 *
 * State follows the card's (section 1): SELECT forgets the channel and the verified PIN; CHANGE PIN,
 * UNBLOCK, RESET SEED and LOGOUT log out. verifyPin never retries: a wrong PIN throws PIN_INVALID
 * with `info.triesLeft`, a blocked one PIN_BLOCKED.
 */
import { randomBytes } from '@noble/hashes/utils.js';
import { base64 } from '@scure/base';
import { mnemonicToSeed, validateMnemonic } from '@scure/bip39';
import { wordlist as englishWordlist } from '@scure/bip39/wordlists/english.js';
import { selectCommand } from '../card.ts';
import { type CommandApdu, SW_OK } from '../pcsc/apdu.ts';
import { parseAuthentikeyAnswer, parseExtendedKeyAnswer, parseLabelAnswer } from './answers.ts';
import { AuthentikeyBinding } from './authentikey.ts';
import { XPUB_VERSIONS, formatBip32Path, keyFingerprint, parseBip32Path, serializeXpub } from './bip32-path.ts';
import { bytesEqual, concatBytes } from './bytes.ts';
import {
  type NormalisedSignature,
  bitcoinMessageDigest,
  type LowSSignature,
  compressPoint,
  expectedPoint,
  lowSSignature,
  normaliseDigestSignature,
  pointFromX,
  uncompressedPoint,
} from './card-signatures.ts';
import {
  CURRENT_BIP32_KEY,
  FACTORY_PIN,
  INS,
  SIGN_MESSAGE_CHUNK,
  changePinCommand,
  exportAuthentikeyCommand,
  factoryResetSignalCommand,
  getAuthentikeyCommand,
  getExtendedKeyCommand,
  getLabelCommand,
  getStatusCommand,
  importSeedCommand,
  logoutAllCommand,
  resetSeedCommand,
  secretBytes,
  setLabelCommand,
  setupCommand,
  signHashCommand,
  signMessageFinalCommand,
  signMessageInitCommand,
  signMessageUpdateCommand,
  unblockPinCommand,
  verifyPinCommand,
} from './commands.ts';
import { SatochipError, badResponse, errorForStatusWord, invalidArgument, isSatochipError } from './errors.ts';
import { SATOCHIP_AID, SEEDKEEPER_AID } from './identify.ts';
import { type RandomSource, type SecureChannel, type SendApdu, openSecureChannel } from './secure-channel.ts';
import { type SatochipApplet, type SatochipCardStatus, MIN_SATOCHIP_PROTOCOL, assertSupportedVersion, decodeStatus } from './status.ts';

export type { RandomSource, SendApdu } from './secure-channel.ts';
export type { SatochipApplet, SatochipCardStatus } from './status.ts';

export interface SatochipClientOptions {
  readonly send: SendApdu;
  /** Host randomness (channel key, IVs, legacy PIN1/PUK1). Must return a fresh array each call. Default: CSPRNG. */
  readonly random?: RandomSource;
}

export interface SecureChannelInfo {
  /** 65 bytes when known (pinned, or sent by a Seedkeeper), else null until the card shows it. */
  readonly authentikey: Uint8Array | null;
  /** The keys that can have signed the channel, when the authentikey is not known yet. */
  readonly authentikeyCandidates: readonly Uint8Array[];
  readonly cardEphemeralPublicKey: Uint8Array;
}

export interface SetupOptions {
  readonly pin: string | Uint8Array;
  readonly puk: string | Uint8Array;
  /** Default 5 (the recorded transcripts). */
  readonly pinTries?: number;
  /** Default 3 (the recorded transcripts). */
  readonly pukTries?: number;
  /** secmemsize, section 5.3: default 32 like the reference apps; each path level takes a slot. */
  readonly bip32CacheSlots?: number;
  /** The factory PIN SETUP presents; default ASCII Muscle00 (section 4.1, 3 tries on Satochip). */
  readonly defaultPin?: string | Uint8Array;
  /** Legacy PIN1/PUK1 (section 4.1); default 16 random bytes each, like the reference apps. */
  readonly legacyPin1?: Uint8Array;
  readonly legacyPuk1?: Uint8Array;
}

/** A derived public node, checked: self-signature (sig1) and authentikey signature (sig2), section 5.3. */
export interface ExtendedPublicKey {
  readonly path: string;
  readonly indexes: readonly number[];
  readonly depth: number;
  /** Child number of the last level (0 for m). */
  readonly childNumber: number;
  /** 33 bytes. */
  readonly publicKey: Uint8Array;
  /** 65 bytes. */
  readonly publicKeyUncompressed: Uint8Array;
  readonly chainCode: Uint8Array;
}

export interface ExtendedKeyOptions {
  /** Retry once with a cache reset when the card's BIP32 cache is full (9C01). */
  readonly resetCache?: boolean;
  /** The key this path must give, 33 or 65 bytes (see expectedExtendedKey). */
  readonly expectedPublicKey?: Uint8Array;
}

export interface SerializedXpub {
  readonly xpub: string;
  readonly key: ExtendedPublicKey;
  readonly parentFingerprint: number;
}

export type SignHashTarget =
  /** The BIP32 key at this path (derived with GET EXTENDED KEY first unless it is the current key). */
  | { readonly path: string | readonly number[] }
  /** An imported key slot 00..0F (IMPORT KEY 32); its public key is needed to check the signature. */
  | { readonly keySlot: number; readonly publicKey: Uint8Array };

export interface HashSignature extends NormalisedSignature {
  /** The BIP32 node that signed, when signed by path. */
  readonly key: ExtendedPublicKey | null;
}

export interface MessageSignature extends NormalisedSignature {
  readonly key: ExtendedPublicKey;
  readonly message: Uint8Array;
  /** BIP-137 / Electrum compact signature, header 31 + recovery id (compressed key), base64. */
  readonly bip137Base64: string;
}

export type FactoryResetProgress =
  /** FF04..FF01: this many more rounds of power-cycle + SELECT + signal are needed. */
  | { readonly kind: 'counting'; readonly signalsLeft: number }
  /** FF00: the card is back in factory state (seed, setup, label gone; authentikey and PKI kept). */
  | { readonly kind: 'reset' }
  /** FFFF: another command since power-up cancelled the count; start again from a power cycle. */
  | { readonly kind: 'aborted' };

/** Section 5.5: the card takes a 4-byte length; we stop far earlier. */
const MAX_MESSAGE_LENGTH = 1 << 20;
/** Section 5.4: imported-key slots 00..0F. */
const KEY_SLOTS = 16;

export class SatochipClient {
  private readonly send: SendApdu;
  private readonly random: RandomSource;
  private selectedApplet: SatochipApplet | null = null;
  private lastStatus: SatochipCardStatus | null = null;
  private channel: SecureChannel | null = null;
  private binding: AuthentikeyBinding | null = null;
  private pinVerified = false;
  /** The node the last GET EXTENDED KEY on this channel derived: the card's key for P1 = FF. */
  private currentKey: ExtendedPublicKey | null = null;

  constructor(options: SatochipClientOptions) {
    this.send = options.send;
    this.random = options.random ?? ((length) => randomBytes(length));
  }

  get applet(): SatochipApplet | null {
    return this.selectedApplet;
  }

  /** The last status read (GET STATUS, or the Seedkeeper SELECT answer). */
  get status(): SatochipCardStatus | null {
    return this.lastStatus;
  }

  /** The authentikey this channel is bound to (65 bytes), once known. Pin it for the next session. */
  get authentikey(): Uint8Array | null {
    return this.binding?.authentikey ?? null;
  }

  get hasSecureChannel(): boolean {
    return this.channel !== null;
  }

  /**
   * The open channel, for diagnostics (its IV counter) and for `resyncCounter` when wrapped commands
   * reached the card by another path. Null when none is open.
   */
  get secureChannel(): SecureChannel | null {
    return this.channel;
  }

  get isPinVerified(): boolean {
    return this.pinVerified;
  }

  /** SELECT the applet (section 1). Returns the Seedkeeper's status (its SELECT answer), null for a Satochip. */
  async select(applet: SatochipApplet): Promise<SatochipCardStatus | null> {
    this.forgetSession();
    this.lastStatus = null;
    const command = selectCommand(applet === 'satochip' ? SATOCHIP_AID : SEEDKEEPER_AID);
    const response = await this.send(command);
    if (response.sw !== SW_OK) throw errorForStatusWord(response.sw, { ins: command.ins, command: 'SELECT' });
    this.selectedApplet = applet;
    if (applet === 'seedkeeper') this.lastStatus = decodeStatus(response.data, applet);
    return this.lastStatus;
  }

  /** GET STATUS in plaintext (section 2). */
  async getStatus(): Promise<SatochipCardStatus> {
    const command = getStatusCommand();
    const response = await this.send(command);
    if (response.sw !== SW_OK) throw errorForStatusWord(response.sw, { ins: command.ins, command: command.name });
    this.lastStatus = decodeStatus(response.data, this.selectedApplet);
    return this.lastStatus;
  }

  /**
   * INIT SC (section 3.1). Pass the card's authentikey (33 or 65 bytes) when you know it: the
   * channel is then refused (AUTHENTIKEY_MISMATCH) unless that key signed it.
   */
  async initSecureChannel(options: { readonly authentikey?: Uint8Array } = {}): Promise<SecureChannelInfo> {
    if (this.lastStatus && this.selectedApplet) assertSupportedVersion(this.lastStatus, this.selectedApplet);
    const pinned = options.authentikey ? uncompressedPoint(options.authentikey, 'authentikey') : null;
    this.forgetSession();
    const opened = await openSecureChannel(this.send, this.random, pinned);
    this.channel = opened.channel;
    this.binding = new AuthentikeyBinding(opened.authentikey, opened.authentikeyCandidates);
    return {
      authentikey: opened.authentikey,
      authentikeyCandidates: opened.authentikeyCandidates,
      cardEphemeralPublicKey: opened.cardEphemeralPublicKey,
    };
  }

  /**
   * Sends one command inside the secure channel and returns the decrypted answer (empty for a bare
   * 9000). For commands this client does not model (Seedkeeper secrets, PKI). Status words other
   * than 9000 throw their SatochipError.
   */
  async sendSecure(command: CommandApdu): Promise<Uint8Array> {
    // We cannot know what it did to the card's current BIP32 key.
    this.currentKey = null;
    return this.exchange(command, { wipeSecretData: false });
  }

  /**
   * Checks a signature by this channel's authentikey (ECDSA-SHA256 over `message`) for commands
   * modelled outside this class (Seedkeeper secrets, trusted pubkey). AUTHENTIKEY_MISMATCH otherwise.
   */
  verifyAuthentikeySignature(message: Uint8Array, signature: Uint8Array, what: string): void {
    this.requireBinding().verify(message, signature, what);
  }

  /** An authentikey answer (`0020 | x | slen | sig`, section 5.2) from such a command, checked against the channel. */
  acceptAuthentikeyAnswer(data: Uint8Array, what: string): Uint8Array {
    const answer = parseAuthentikeyAnswer(data, what);
    return this.requireBinding().acceptStated(answer.x, answer.signedMessage, answer.signature, what);
  }

  /** SETUP (section 4.1), once per card. Leaves the PIN unverified. */
  async setup(options: SetupOptions): Promise<void> {
    const pin = secretBytes(options.pin, 'pin');
    const puk = secretBytes(options.puk, 'puk');
    const defaultPin = options.defaultPin === undefined ? FACTORY_PIN : toBytes(options.defaultPin);
    this.requireChannel();
    const pin1 = options.legacyPin1 ?? this.draw(16);
    const puk1 = options.legacyPuk1 ?? this.draw(16);
    try {
      await this.exchange(
        setupCommand({
          defaultPin,
          pin,
          puk,
          pinTries: options.pinTries ?? 5,
          pukTries: options.pukTries ?? 3,
          pin1,
          puk1,
          bip32CacheSlots: options.bip32CacheSlots ?? 32,
        }),
      );
    } finally {
      pin.fill(0);
      puk.fill(0);
    }
    this.pinVerified = false;
  }

  /** VERIFY PIN (section 4.2). Never retried: PIN_INVALID carries `info.triesLeft`. */
  async verifyPin(pin: string | Uint8Array): Promise<void> {
    const bytes = secretBytes(pin, 'pin');
    try {
      await this.exchange(verifyPinCommand(bytes));
    } finally {
      bytes.fill(0);
    }
    this.pinVerified = true;
  }

  /** CHANGE PIN (section 4.2). The card is logged out afterwards. */
  async changePin(oldPin: string | Uint8Array, newPin: string | Uint8Array): Promise<void> {
    const oldBytes = secretBytes(oldPin, 'oldPin');
    const newBytes = secretBytes(newPin, 'newPin');
    try {
      await this.exchange(changePinCommand(oldBytes, newBytes));
    } finally {
      oldBytes.fill(0);
      newBytes.fill(0);
      this.pinVerified = false;
    }
  }

  /** UNBLOCK PIN with the PUK (section 4.2); verify the PIN again afterwards. Wrong PUK: PUK_INVALID with `info.triesLeft`. */
  async unblockPin(puk: string | Uint8Array): Promise<void> {
    const bytes = secretBytes(puk, 'puk');
    try {
      await this.exchange(unblockPinCommand(bytes));
    } finally {
      bytes.fill(0);
      this.pinVerified = false;
    }
  }

  /** LOGOUT ALL (section 4.2). */
  async logout(): Promise<void> {
    this.pinVerified = false;
    await this.exchange(logoutAllCommand());
  }

  /** SET LABEL (section 5.6): at most 64 UTF-8 bytes; "" clears. */
  async setLabel(label: string): Promise<void> {
    await this.exchange(setLabelCommand(new TextEncoder().encode(label)));
  }

  /** GET LABEL (section 5.6). */
  async getLabel(): Promise<string> {
    return parseLabelAnswer(await this.exchange(getLabelCommand()));
  }

  /**
   * IMPORT SEED (section 5.1) from an English BIP39 mnemonic and passphrase: the card gets the
   * 64-byte BIP39 seed (PBKDF2 output, @scure/bip39). Returns the authentikey from the answer,
   * checked against the channel.
   */
  async importSeed(mnemonic: string, passphrase = ''): Promise<Uint8Array> {
    this.requireSatochip('importSeed');
    const words = mnemonic.normalize('NFKD').trim().split(/\s+/).join(' ');
    if (!validateMnemonic(words, englishWordlist)) throw invalidArgument('mnemonic', 'not a valid English BIP39 mnemonic (words or checksum)');
    const seed = await mnemonicToSeed(words, passphrase);
    try {
      return await this.importSeedBytes(seed);
    } finally {
      seed.fill(0);
    }
  }

  /** IMPORT SEED (section 5.1) with raw BIP32 seed bytes (16..64). */
  async importSeedBytes(seed: Uint8Array): Promise<Uint8Array> {
    this.requireSatochip('importSeed');
    this.currentKey = null;
    const answer = parseAuthentikeyAnswer(await this.exchange(importSeedCommand(Uint8Array.from(seed))), 'IMPORT SEED');
    return this.requireBinding().acceptStated(answer.x, answer.signedMessage, answer.signature, 'IMPORT SEED');
  }

  /** RESET SEED (section 5.1): needs the PIN, logs out. Not for 2FA cards. */
  async resetSeed(pin: string | Uint8Array): Promise<void> {
    this.requireSatochip('resetSeed');
    this.refuseTwoFactor();
    const bytes = secretBytes(pin, 'pin');
    this.currentKey = null;
    try {
      await this.exchange(resetSeedCommand(bytes));
    } finally {
      bytes.fill(0);
      this.pinVerified = false;
    }
  }

  /** EXPORT AUTHENTIKEY (AD, section 5.2): works without a seed. Returns 65 bytes, checked against the channel. */
  async exportAuthentikey(): Promise<Uint8Array> {
    const answer = parseAuthentikeyAnswer(await this.exchange(exportAuthentikeyCommand()), 'EXPORT AUTHENTIKEY');
    return this.requireBinding().acceptStated(answer.x, answer.signedMessage, answer.signature, 'EXPORT AUTHENTIKEY');
  }

  /** GET AUTHENTIKEY (73, section 5.2): a Satochip needs a seed. Returns 65 bytes, checked against the channel. */
  async getAuthentikey(): Promise<Uint8Array> {
    const answer = parseAuthentikeyAnswer(await this.exchange(getAuthentikeyCommand()), 'GET AUTHENTIKEY');
    return this.requireBinding().acceptStated(answer.x, answer.signedMessage, answer.signature, 'GET AUTHENTIKEY');
  }

  /**
   * GET EXTENDED KEY (section 5.3): the public key (rebuilt from x with sig1) and chain code of a
   * path, with sig2 checked against the channel's authentikey. When the BIP32 cache is full (9C01)
   * retries once with the cache-reset bit. The node becomes the card's current key.
   */
  async getExtendedKey(path: string | readonly number[], options: ExtendedKeyOptions = {}): Promise<ExtendedPublicKey> {
    this.requireSatochip('getExtendedKey');
    const indexes = parseBip32Path(path);
    const expected = options.expectedPublicKey === undefined ? null : expectedPoint(options.expectedPublicKey);
    this.currentKey = null;
    let data: Uint8Array;
    try {
      data = await this.exchange(getExtendedKeyCommand(indexes, options.resetCache === true));
    } catch (error) {
      if (options.resetCache === true || !isSatochipError(error, 'CARD_MEMORY_FULL')) throw error;
      data = await this.exchange(getExtendedKeyCommand(indexes, true));
    }
    const key = expected ? this.expectedExtendedKey(indexes, data, expected) : this.checkedExtendedKey(indexes, data);
    this.currentKey = key;
    return key;
  }

  /**
   * A GET EXTENDED KEY answer for a key the caller already knows (derived on the host from an xpub
   * this card gave under the full checks): the card's x must be the expected key's x. That settles
   * the key without curve operations; sig1/sig2 would only prove again what the comparison and the
   * secure channel (bound to the authentikey) already show. KEY_MISMATCH otherwise.
   */
  private expectedExtendedKey(indexes: readonly number[], data: Uint8Array, expected: { compressed: Uint8Array; uncompressed: Uint8Array }): ExtendedPublicKey {
    const answer = parseExtendedKeyAnswer(data);
    if (!bytesEqual(answer.x, expected.compressed.subarray(1))) {
      throw new SatochipError('KEY_MISMATCH', 'the card derived another key than expected for this path', {
        command: 'GET EXTENDED KEY',
        reason: `x differs from the expected key at ${formatBip32Path(indexes)}`,
      });
    }
    return {
      path: formatBip32Path(indexes),
      indexes,
      depth: indexes.length,
      childNumber: indexes.at(-1) ?? 0,
      publicKey: expected.compressed,
      publicKeyUncompressed: expected.uncompressed,
      chainCode: answer.chainCode,
    };
  }

  /**
   * A GET EXTENDED KEY answer (section 5.3, also the Seedkeeper's 6D on a stored seed) as a checked
   * node: the public key rebuilt from x with sig1, and sig2 verified with this channel's authentikey.
   */
  checkedExtendedKey(indexes: readonly number[], data: Uint8Array): ExtendedPublicKey {
    const answer = parseExtendedKeyAnswer(data);
    const publicKeyUncompressed = pointFromX(answer.x, answer.selfSignedMessage, answer.selfSignature);
    if (!publicKeyUncompressed) {
      throw new SatochipError('SIGNATURE_INVALID', 'the derived key does not verify its own signature', {
        command: 'GET EXTENDED KEY',
        reason: 'sig1 verifies with neither parity of x',
      });
    }
    this.requireBinding().verify(answer.authentikeySignedMessage, answer.authentikeySignature, 'GET EXTENDED KEY sig2');
    return {
      path: formatBip32Path(indexes),
      indexes,
      depth: indexes.length,
      childNumber: indexes.at(-1) ?? 0,
      publicKey: compressPoint(publicKeyUncompressed),
      publicKeyUncompressed,
      chainCode: answer.chainCode,
    };
  }

  /**
   * BIP32-serialised public key of a path. The parent fingerprint needs the parent's public key:
   * one GET EXTENDED KEY for the parent, then one for the path (2 APDUs; 1 for "m"). The path's
   * node is derived last, so it is the current key afterwards. `version` defaults to xpub.
   */
  async getXpub(path: string | readonly number[], options: { readonly version?: number } = {}): Promise<SerializedXpub> {
    const indexes = parseBip32Path(path);
    const version = options.version ?? XPUB_VERSIONS.xpub;
    let parentFingerprint = 0;
    if (indexes.length > 0) {
      const parent = await this.getExtendedKey(indexes.slice(0, -1));
      parentFingerprint = keyFingerprint(parent.publicKey);
    }
    const key = await this.getExtendedKey(indexes);
    const xpub = serializeXpub({
      version,
      depth: key.depth,
      parentFingerprint,
      childNumber: key.childNumber,
      chainCode: key.chainCode,
      publicKey: key.publicKey,
    });
    return { xpub, key, parentFingerprint };
  }

  /**
   * SIGN HASH (section 5.4): signs the 32 bytes as given. The card's DER signature is verified with
   * @noble/secp256k1 against the key it must come from, normalised to low S, with its recovery id.
   */
  async signHash(target: SignHashTarget, hash: Uint8Array): Promise<HashSignature> {
    this.requireSatochip('signHash');
    this.refuseTwoFactor();
    if (!(hash instanceof Uint8Array) || hash.length !== 32) throw invalidArgument('hash', 'must be 32 bytes');
    let keyRef: number;
    let key: ExtendedPublicKey | null = null;
    let publicKey: Uint8Array;
    if ('path' in target) {
      key = await this.currentKeyFor(target.path);
      keyRef = CURRENT_BIP32_KEY;
      publicKey = key.publicKeyUncompressed;
    } else {
      if (!Number.isInteger(target.keySlot) || target.keySlot < 0 || target.keySlot >= KEY_SLOTS) {
        throw invalidArgument('keySlot', `must be 0..${KEY_SLOTS - 1}`);
      }
      keyRef = target.keySlot;
      publicKey = uncompressedPoint(target.publicKey, 'publicKey');
    }
    const der = await this.exchange(signHashCommand(keyRef, hash));
    return { ...normaliseDigestSignature(der, Uint8Array.from(hash), publicKey, 'SIGN HASH'), key };
  }

  /**
   * SIGN HASH with the BIP32 key at `path`, for a caller that knows the key (`expectedPublicKey`,
   * checked against the card's derivation as in getExtendedKey) and verifies the signature itself
   * before using it: the answer is only parsed and put in low-S form, no curve operation here, and
   * no recovery id. The PSBT signer uses it (it verifies every signature under the input's key);
   * everything else uses signHash.
   */
  async signHashForVerifier(path: string | readonly number[], hash: Uint8Array, expectedPublicKey: Uint8Array): Promise<LowSSignature> {
    this.requireSatochip('signHash');
    this.refuseTwoFactor();
    if (!(hash instanceof Uint8Array) || hash.length !== 32) throw invalidArgument('hash', 'must be 32 bytes');
    await this.currentKeyFor(path, expectedPublicKey);
    return lowSSignature(await this.exchange(signHashCommand(CURRENT_BIP32_KEY, hash)), 'SIGN HASH');
  }

  /**
   * SIGN MESSAGE (section 5.5) with the BIP32 key at `path`: INIT with the length, UPDATE per
   * 128-byte chunk but the last, FINAL with the rest. The signature over the BIP-137 digest is
   * verified, normalised to low S, and also given as a base64 compact signature.
   */
  async signMessage(target: { readonly path: string | readonly number[] }, message: string | Uint8Array): Promise<MessageSignature> {
    this.requireSatochip('signMessage');
    this.refuseTwoFactor();
    const bytes = toBytes(message);
    if (bytes.length > MAX_MESSAGE_LENGTH) throw invalidArgument('message', `at most ${MAX_MESSAGE_LENGTH} bytes`);
    const key = await this.currentKeyFor(target.path);
    await this.exchange(signMessageInitCommand(CURRENT_BIP32_KEY, bytes.length));
    let offset = 0;
    while (bytes.length - offset > SIGN_MESSAGE_CHUNK) {
      await this.exchange(signMessageUpdateCommand(CURRENT_BIP32_KEY, bytes.subarray(offset, offset + SIGN_MESSAGE_CHUNK)));
      offset += SIGN_MESSAGE_CHUNK;
    }
    const der = await this.exchange(signMessageFinalCommand(CURRENT_BIP32_KEY, bytes.subarray(offset)));
    const signature = normaliseDigestSignature(der, bitcoinMessageDigest(bytes), key.publicKeyUncompressed, 'SIGN MESSAGE');
    const bip137Base64 = base64.encode(concatBytes(Uint8Array.of(31 + signature.recoveryId), signature.compact));
    return { ...signature, key, message: bytes, bip137Base64 };
  }

  /**
   * One factory-reset signal (section 13): plaintext `B0 FF 00 00 00`. The card counts only when
   * it is the first command after a power cycle and SELECT; five rounds reset it. The caller
   * power-cycles and selects between rounds; this sends the signal only.
   */
  async factoryResetSignal(): Promise<FactoryResetProgress> {
    if (this.selectedApplet === 'satochip' && this.lastStatus && this.lastStatus.protocolVersion < MIN_SATOCHIP_PROTOCOL) {
      throw new SatochipError('UNSUPPORTED_VERSION', 'this Satochip has no factory reset', { reason: `protocol ${this.lastStatus.protocol}` });
    }
    const command = factoryResetSignalCommand();
    const response = await this.send(command);
    const sw = response.sw;
    if (sw >= 0xff01 && sw <= 0xff04) return { kind: 'counting', signalsLeft: sw & 0xff };
    if (sw === 0xffff) return { kind: 'aborted' };
    if (sw === 0xff00) {
      this.forgetSession();
      this.lastStatus = null;
      return { kind: 'reset' };
    }
    if (sw === SW_OK) throw badResponse('9000 to a factory-reset signal', command.name);
    throw errorForStatusWord(sw, { ins: INS.RESET_TO_FACTORY, command: command.name });
  }

  // -- internals --------------------------------------------------------------------------------

  /**
   * One wrapped exchange (section 3.2/3.3); keeps the client's view of the card in step with errors.
   * The body of a sensitive command we built ourselves (PIN, PUK, seed copies) is zeroed once sent.
   */
  private async exchange(inner: CommandApdu, options: { readonly wipeSecretData?: boolean } = {}): Promise<Uint8Array> {
    try {
      for (let attempt = 0; ; attempt += 1) {
        const channel = this.requireChannel();
        const wrapped = channel.wrap(inner);
        const response = await this.send(wrapped.apdu);
        try {
          return channel.unwrap(wrapped, response);
        } catch (error) {
          // Section 7.2: a Seedkeeper import/export left unfinished (card pulled) makes the next
          // command, whatever it is (even VERIFY PIN), answer 9C30 once without running it. Send it again once.
          if (attempt === 0 && isSatochipError(error, 'OPERATION_LOCKED')) continue;
          if (isSatochipError(error, 'SECURE_CHANNEL_REQUIRED') || isSatochipError(error, 'SECURE_CHANNEL_FAILED')) {
            // The card has no channel (9C21: it was reset or re-selected) or we cannot trust this one.
            this.forgetSession();
          } else if (isSatochipError(error, 'PIN_NOT_VERIFIED') || isSatochipError(error, 'PIN_BLOCKED') || isSatochipError(error, 'CARD_WIPED')) {
            this.pinVerified = false;
          }
          throw error;
        }
      }
    } finally {
      if (inner.sensitive && options.wipeSecretData !== false) inner.data?.fill(0);
    }
  }

  /** The key at `path`, derived unless it is the current one (and, when given, the expected key). */
  private async currentKeyFor(path: string | readonly number[], expectedPublicKey?: Uint8Array): Promise<ExtendedPublicKey> {
    const indexes = parseBip32Path(path);
    const current = this.currentKey;
    const samePath = current !== null && current.indexes.length === indexes.length && current.indexes.every((value, i) => value === indexes[i]);
    const currentEncoding = expectedPublicKey?.length === 65 ? current?.publicKeyUncompressed : current?.publicKey;
    if (samePath && (expectedPublicKey === undefined || (currentEncoding !== undefined && bytesEqual(currentEncoding, expectedPublicKey)))) return current;
    return this.getExtendedKey(indexes, expectedPublicKey === undefined ? {} : { expectedPublicKey });
  }

  private forgetSession(): void {
    this.channel = null;
    this.binding = null;
    this.pinVerified = false;
    this.currentKey = null;
  }

  private requireChannel(): SecureChannel {
    if (!this.channel) {
      throw new SatochipError('SECURE_CHANNEL_REQUIRED', 'open the secure channel first (initSecureChannel)', {
        reason: 'no secure channel on this client',
      });
    }
    return this.channel;
  }

  private requireBinding(): AuthentikeyBinding {
    this.requireChannel();
    return this.binding!;
  }

  private requireSatochip(operation: string): void {
    if (this.selectedApplet === 'seedkeeper') throw invalidArgument('applet', `${operation} is a Satochip command`);
  }

  /** Section 5.6: a 2FA card needs the phone's HMAC for every signature and seed reset. */
  private refuseTwoFactor(): void {
    if (this.lastStatus?.needs2fa) {
      throw new SatochipError('TWO_FACTOR_REQUIRED', 'this card needs its 2FA device to sign', { reason: 'GET STATUS byte 8 is set' });
    }
  }

  private draw(length: number): Uint8Array {
    const bytes = this.random(length);
    if (!(bytes instanceof Uint8Array) || bytes.length !== length) throw invalidArgument('random', `random source must give ${length} bytes`);
    return bytes;
  }
}

function toBytes(value: string | Uint8Array): Uint8Array {
  return typeof value === 'string' ? new TextEncoder().encode(value) : Uint8Array.from(value);
}
