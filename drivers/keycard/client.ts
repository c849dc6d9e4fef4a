/**
 * The Status Keycard 3.1 protocol client (../shared/protocols/keycard.md; replayed against
 * ../shared/vectors/keycard).
 *
 * It runs over any `send(command) => Promise<ResponseApdu>` (ApduTransport.send, CardSession.send,
 * a replay in tests) and takes its host randomness from an injectable `random(n)`, so recorded
 * transcripts replay byte for byte. One operation at a time: the caller serialises (a CardSession does).
 *
 * APDUs per operation (each wrapped command is one APDU; the protocol minimum, guarded by
 * client.apdu-count.test.ts):
 *   select                          1  (SELECT)
 *   init                            1  (INIT; select again afterwards: the card has a new key = 2)
 *   pair                            2  (PAIR step 1, PAIR step 2); once per host and card, keep the pairing
 *   openSecureChannel               2  (OPEN SECURE CHANNEL, MUTUALLY AUTHENTICATE)
 *   verifyPin                       1
 *   typical session                 4  (SELECT, OPEN SECURE CHANNEL, MUTUALLY AUTHENTICATE, VERIFY PIN)
 *   exportPublicKey / exportExtendedPublicKey / exportPrivateKey   1  (EXPORT KEY P1=01: derive, current path unchanged)
 *   getXpub(path)                   2  (EXPORT KEY public of the parent for its fingerprint, EXPORT KEY extended of the path)
 *   sign(target, digest)            1  (SIGN P1=01 digest || path: derives without changing the current path);
 *                                      20 digests = 20 APDUs, no DERIVE KEY needed
 *   ident                           1  (IDENT, plain or wrapped)
 *   getStatus / changePin / changePuk / changePairingSecret / unblockPin / generateMnemonic /
 *   loadSeed / loadKeyPair / generateKey / removeKey / deriveKey / setPinlessPath / storeData /
 *   getData / unpair / factoryReset  1 each
 *
 * State follows the card's (sections 2, 3, 6.7): SELECT (and INIT, FACTORY RESET) forget the
 * channel and the verified PIN; any plain APDU ends the channel; any failure while unwrapping
 * (bad MAC, plain 6982/6985, undecryptable answer, transport error) closes our channel. verifyPin
 * never retries: a wrong PIN throws PIN_INVALID with `info.triesLeft`, a blocked one PIN_BLOCKED.
 * Every argument is validated before anything is sent (INVALID_ARGUMENT, no APDU).
 *
 * Status words are narrowed by command (section 16): 6985 on a PIN-needing command while our side
 * knows the PIN is not verified -> PIN_NOT_VERIFIED; on a key command when the last SELECT / GET
 * STATUS said no key -> NO_KEY; on EXPORT KEY otherwise -> EXPORT_NOT_ALLOWED; on IDENT ->
 * NO_CERTIFICATE; plain 6985 to a command that needs a channel -> SECURE_CHANNEL_REQUIRED; plain
 * 6982 inside a channel -> SECURE_CHANNEL_FAILED; 6A86 on OPEN SECURE CHANNEL -> PAIRING_NOT_FOUND;
 * 6982 on PAIR step 2 -> PAIRING_FAILED; 6D00 on INIT -> ALREADY_INITIALIZED, elsewhere on a
 * pre-initialised card -> NOT_INITIALIZED.
 */
import { randomBytes } from '@noble/hashes/utils.js';
import { type CommandApdu, type ResponseApdu, SW_OK } from '../pcsc/apdu.ts';
import { XPUB_VERSIONS, keyFingerprint, serializeXpub } from '../satochip/bip32-path.ts';
import { compressPoint } from '../satochip/card-signatures.ts';
import {
  type KeycardStatus,
  checkIdentAnswer,
  parseApplicationStatus,
  parseExportAnswer,
  parseKeyPath,
  parseKeyUid,
  parseOpenSecureChannel,
  parsePairStep1,
  parsePairStep2,
  parseSignAnswer,
} from './answers.ts';
import { type KeycardSelectInfo, parseSelectAnswer } from './app-info.ts';
import { ascii, bytesEqual, concat, isBytes, isDigits } from './bytes.ts';
import {
  DATA_MAX_LENGTH,
  DATA_P1,
  DERIVE_SOURCE,
  EXPORT_P1,
  EXPORT_P2,
  INS,
  LOAD_KEY_P1,
  SIGN_P1,
  type DataKind,
  changePinCommand,
  deriveKeyCommand,
  exportKeyCommand,
  factoryResetCommand,
  generateKeyCommand,
  generateMnemonicCommand,
  getDataCommand,
  getStatusCommand,
  identCommand,
  initCommand,
  loadKeyCommand,
  mutuallyAuthenticateCommand,
  openSecureChannelCommand,
  pairCommand,
  removeKeyCommand,
  selectKeycardCommand,
  setPinlessPathCommand,
  signCommand,
  storeDataCommand,
  unblockPinCommand,
  unpairCommand,
  verifyPinCommand,
} from './commands.ts';
import { KeycardError, isKeycardError, keycardBadResponse, keycardErrorForStatusWord, keycardInvalidArgument, keycardStatusWordMeaning } from './errors.ts';
import { encryptInitPayload, initPlaintext } from './init-payload.ts';
import { type KeyPairToLoad, keyPairTemplate, keyUidForSeed } from './key-load.ts';
import { MNEMONIC_WORD_COUNTS, type MnemonicWordCount, parseMnemonicAnswer } from './mnemonic.ts';
import { EIP1581_MIN_PRIVATE_DEPTH, encodePath, isEip1581, keycardPath } from './paths.ts';
import {
  type RandomSource,
  type SendApdu,
  SecureChannelSession,
  deriveSessionKeys,
  ecdhSharedX,
  ephemeralKeyPair,
  pairingCryptogram,
  pairingKeyFrom,
  secureChannelFailed,
} from './secure-channel.ts';
import { type KeycardSignature, checkCardSignature, lowSCompact } from './signing.ts';
import { swHex } from '../pcsc/apdu.ts';

export type { KeycardStatus } from './answers.ts';
export type { KeycardSelectInfo } from './app-info.ts';
export type { DataKind } from './commands.ts';
export type { KeyPairToLoad } from './key-load.ts';
export type { MnemonicWordCount } from './mnemonic.ts';
export { DEFAULT_PAIRING_PASSWORD, pairingSecretFromPassword } from './secure-channel.ts';
export type { RandomSource, SendApdu } from './secure-channel.ts';
export type { KeycardSignature } from './signing.ts';

/** A pairing slot on one card (keep it with the card's instance UID; section 5). */
export interface KeycardPairing {
  /** Slot 0..4. */
  readonly index: number;
  /** 32-byte pairing key = SHA-256(pairing secret || salt). */
  readonly key: Uint8Array;
}

export interface KeycardClientOptions {
  readonly send: SendApdu;
  /** Host randomness (ephemeral keys, IV, challenges, random duress PIN). Must return a fresh array each call. Default: CSPRNG. */
  readonly random?: RandomSource;
}

export interface InitOptions {
  /** 6 digits. */
  readonly pin: string;
  /** 12 digits. */
  readonly puk: string;
  /** 32 bytes (pairingSecretFromPassword). */
  readonly pairingSecret: Uint8Array;
  /** 6 digits, different from the PIN. Default: a random 6-digit PIN different from the PIN (section 4, duress trap). */
  readonly duressPin?: string;
  /** PIN retry limit 2..10, default 3. */
  readonly pinTries?: number;
  /** PUK retry limit 3..12, default 5. */
  readonly pukTries?: number;
}

export type KeycardPath = string | readonly number[];

export type SignTarget =
  /** SIGN P1=01 (or 02 with makeCurrent): derive `path` from the master for this signature. */
  | { readonly path: KeycardPath; readonly makeCurrent?: boolean }
  /** SIGN P1=03: the PIN-less path (plain without a channel, wrapped inside one). */
  | { readonly pinless: true }
  /** SIGN P1=00: the card's current key (DERIVE KEY / makeCurrent set it). */
  | { readonly current: true };

/** Answer to a command sent through `sendSecure`: inner data and inner status word, not interpreted. */
export interface SecureAnswer {
  readonly data: Uint8Array;
  readonly sw: number;
  /** The card encrypted it under the pre-command IV (section 6.5 quirk). */
  readonly previousIv: boolean;
}

export const FACTORY_RESET_CONFIRMATION = 'erase-everything-on-this-card';

const PIN_LIMITS = { min: 2, max: 10, default: 3 } as const;
const PUK_LIMITS = { min: 3, max: 12, default: 5 } as const;

/** INS whose 6985 means "PIN not verified" when our side knows it is not (section 3). */
const PIN_GATED = new Set<number>([
  INS.CHANGE_PIN,
  INS.LOAD_KEY,
  INS.GENERATE_KEY,
  INS.REMOVE_KEY,
  INS.DERIVE_KEY,
  INS.EXPORT_KEY,
  INS.SIGN,
  INS.SET_PINLESS_PATH,
  INS.STORE_DATA,
  INS.UNPAIR,
]);
/** INS that need a loaded key. */
const KEY_COMMANDS = new Set<number>([INS.DERIVE_KEY, INS.EXPORT_KEY, INS.SIGN]);
/** INS the card takes without a channel (section 3); a plain 6985 to anything else means "no channel". */
const PLAIN_OK = new Set<number>([INS.INIT, INS.PAIR, INS.OPEN_SECURE_CHANNEL, INS.IDENT, INS.GET_DATA, INS.FACTORY_RESET, INS.SIGN]);

function pathBytes(path: KeycardPath, field = 'path'): { indexes: number[]; bytes: Uint8Array } {
  const indexes = keycardPath(path, field);
  return { indexes, bytes: encodePath(indexes) };
}

export class KeycardClient {
  private readonly sendApdu: SendApdu;
  private readonly random: RandomSource;
  private info: KeycardSelectInfo | null = null;
  /** Set only once MUTUALLY AUTHENTICATE succeeded. */
  private session: SecureChannelSession | null = null;
  private pinVerified = false;
  /** From SELECT (key UID present), GET STATUS and our own key commands; null when unknown. */
  private keyLoaded: boolean | null = null;

  constructor(options: KeycardClientOptions) {
    this.sendApdu = options.send;
    this.random = options.random ?? ((length) => randomBytes(length));
  }

  /** The last SELECT answer; null before select() and after INIT / FACTORY RESET (select again). */
  get selectInfo(): KeycardSelectInfo | null {
    return this.info;
  }

  get channelOpen(): boolean {
    return this.session !== null && !this.session.failed;
  }

  /** True after verifyPin / unblockPin in this SELECT session (our view; the card is the authority). */
  get isPinVerified(): boolean {
    return this.pinVerified;
  }

  /** SELECT the Keycard instance (section 2). Closes our channel and forgets the verified PIN. */
  async select(): Promise<KeycardSelectInfo> {
    this.forgetCardSession();
    this.info = null;
    this.keyLoaded = null;
    const command = selectKeycardCommand();
    const response = await this.sendApdu(command);
    if (response.sw !== SW_OK) throw keycardErrorForStatusWord(response.sw, { ins: command.ins, command: 'SELECT' });
    const info = parseSelectAnswer(response.data);
    this.info = info;
    this.keyLoaded = info.initialized ? info.keyUid !== null : false;
    return info;
  }

  /**
   * INIT (section 4), pre-initialised cards only. Always the 58-byte form with a duress PIN different
   * from the PIN: when `duressPin` is omitted a random one is drawn (the card's default, the first 6
   * PUK digits, can equal the PIN and then silently unlock the duress wallet). select() again afterwards.
   */
  async init(options: InitOptions): Promise<void> {
    if (typeof options !== 'object' || options === null) throw keycardInvalidArgument('options', 'must be an object');
    const { pin, puk, pairingSecret } = options;
    if (!isDigits(pin, 6)) throw keycardInvalidArgument('pin', 'must be 6 digits');
    if (!isDigits(puk, 12)) throw keycardInvalidArgument('puk', 'must be 12 digits');
    if (!isBytes(pairingSecret, 32)) throw keycardInvalidArgument('pairingSecret', 'must be 32 bytes');
    const pinTries = options.pinTries ?? PIN_LIMITS.default;
    const pukTries = options.pukTries ?? PUK_LIMITS.default;
    if (!Number.isInteger(pinTries) || pinTries < PIN_LIMITS.min || pinTries > PIN_LIMITS.max) throw keycardInvalidArgument('pinTries', `must be ${PIN_LIMITS.min}..${PIN_LIMITS.max}`);
    if (!Number.isInteger(pukTries) || pukTries < PUK_LIMITS.min || pukTries > PUK_LIMITS.max) throw keycardInvalidArgument('pukTries', `must be ${PUK_LIMITS.min}..${PUK_LIMITS.max}`);
    if (options.duressPin !== undefined) {
      if (!isDigits(options.duressPin, 6)) throw keycardInvalidArgument('duressPin', 'must be 6 digits');
      if (options.duressPin === pin) throw keycardInvalidArgument('duressPin', 'must differ from the PIN (section 4: the duress wallet would win)');
    }
    const info = this.requireSelected();
    if (info.initialized) throw new KeycardError('ALREADY_INITIALIZED', 'the card is already initialised', { command: 'INIT', reason: 'SELECT shows Application Info' });
    const duressPin = options.duressPin ?? this.randomDuressPin(pin);
    const host = ephemeralKeyPair(this.random);
    const iv = this.draw(16, 'INIT IV');
    const plaintext = initPlaintext({ pin, puk, pairingSecret, pinTries, pukTries, duressPin });
    let payload: Uint8Array;
    try {
      payload = encryptInitPayload({ plaintext, cardPublicKey: info.secureChannelPublicKey, hostPrivateKey: host.privateKey, hostPublicKey: host.publicKey, iv });
    } finally {
      plaintext.fill(0);
      host.privateKey.fill(0);
    }
    await this.plain(initCommand(payload));
    // Section 4: INIT made a new secure-channel key pair and no key is loaded; SELECT again.
    this.info = null;
    this.keyLoaded = false;
  }

  /**
   * PAIR (section 5), 2 APDUs. The card's cryptogram is checked before step 2: on a mismatch
   * (wrong pairing secret, or not a genuine applet) PAIRING_FAILED and nothing more is sent.
   */
  async pair(pairingSecret: Uint8Array): Promise<KeycardPairing> {
    if (!isBytes(pairingSecret, 32)) throw keycardInvalidArgument('pairingSecret', 'must be 32 bytes');
    this.refusePreInitialized('PAIR');
    const challenge = this.draw(32, 'PAIR client challenge');
    const step1 = parsePairStep1(await this.plain(pairCommand(0, challenge)));
    if (!bytesEqual(step1.cryptogram, pairingCryptogram(pairingSecret, challenge))) {
      throw new KeycardError('PAIRING_FAILED', 'the card cryptogram does not match our pairing secret (wrong pairing password, or not a genuine Keycard)', {
        command: 'PAIR step 1',
        reason: 'card cryptogram mismatch',
      });
    }
    const step2 = parsePairStep2(await this.plain(pairCommand(1, pairingCryptogram(pairingSecret, step1.challenge))));
    return { index: step2.index, key: pairingKeyFrom(pairingSecret, step2.salt) };
  }

  /** OPEN SECURE CHANNEL + MUTUALLY AUTHENTICATE (section 6.1-6.2), 2 APDUs. 6A86: PAIRING_NOT_FOUND. */
  async openSecureChannel(pairing: KeycardPairing): Promise<void> {
    if (typeof pairing !== 'object' || pairing === null) throw keycardInvalidArgument('pairing', 'must be an object');
    if (!Number.isInteger(pairing.index) || pairing.index < 0 || pairing.index > 4) throw keycardInvalidArgument('pairing.index', 'must be 0..4');
    if (!isBytes(pairing.key, 32)) throw keycardInvalidArgument('pairing.key', 'must be 32 bytes');
    const info = this.requireSelected();
    if (!info.initialized) throw this.notInitialized('OPEN SECURE CHANNEL');
    const host = ephemeralKeyPair(this.random);
    const answer = parseOpenSecureChannel(await this.plain(openSecureChannelCommand(pairing.index, host.publicKey)));
    const sharedX = ecdhSharedX(host.privateKey, info.secureChannelPublicKey, 'OPEN SECURE CHANNEL');
    host.privateKey.fill(0);
    const session = new SecureChannelSession(deriveSessionKeys(sharedX, pairing.key, answer.salt), answer.iv);
    sharedX.fill(0);
    const challenge = this.draw(32, 'MUTUALLY AUTHENTICATE challenge');
    const wrapped = session.wrap(mutuallyAuthenticateCommand(challenge));
    const response = await this.sendApdu(wrapped);
    const result = session.unwrap(response, 'MUTUALLY AUTHENTICATE');
    if (result.sw !== SW_OK || result.data.length !== 32) {
      session.close('MUTUALLY AUTHENTICATE refused');
      throw secureChannelFailed(
        result.sw !== SW_OK ? `MUTUALLY AUTHENTICATE refused (${keycardStatusWordMeaning(result.sw)})` : `MUTUALLY AUTHENTICATE answered ${result.data.length} bytes, expected 32`,
        { sw: swHex(result.sw), command: 'MUTUALLY AUTHENTICATE' },
      );
    }
    this.session = session;
  }

  /** UNPAIR (section 5), PIN verified. Freeing an empty slot is a no-op on the card. */
  async unpair(index: number): Promise<void> {
    if (!Number.isInteger(index) || index < 0 || index > 4) throw keycardInvalidArgument('index', 'must be 0..4');
    await this.secure(unpairCommand(index));
  }

  /** VERIFY PIN (section 7). Never retried: PIN_INVALID with `info.triesLeft`, PIN_BLOCKED at 0. */
  async verifyPin(pin: string): Promise<void> {
    if (!isDigits(pin, 6)) throw keycardInvalidArgument('pin', 'must be 6 digits');
    await this.secure(verifyPinCommand(ascii(pin)));
    this.pinVerified = true;
  }

  /** CHANGE PIN P1=00 (section 7): the PIN stays verified. In a duress session it changes the duress PIN. */
  async changePin(newPin: string): Promise<void> {
    if (!isDigits(newPin, 6)) throw keycardInvalidArgument('newPin', 'must be 6 digits');
    await this.secure(changePinCommand('pin', ascii(newPin)));
  }

  /** CHANGE PIN P1=01: new PUK (12 digits). */
  async changePuk(newPuk: string): Promise<void> {
    if (!isDigits(newPuk, 12)) throw keycardInvalidArgument('newPuk', 'must be 12 digits');
    await this.secure(changePinCommand('puk', ascii(newPuk)));
  }

  /** CHANGE PIN P1=02: new pairing secret (32 bytes); existing pairings stay valid. */
  async changePairingSecret(secret: Uint8Array): Promise<void> {
    if (!isBytes(secret, 32)) throw keycardInvalidArgument('secret', 'must be 32 bytes');
    await this.secure(changePinCommand('pairingSecret', Uint8Array.from(secret)));
  }

  /** UNBLOCK PIN (section 7): only while the PIN is blocked. Wrong PUK: PUK_INVALID / PUK_BLOCKED. The new PIN is verified. */
  async unblockPin(puk: string, newPin: string): Promise<void> {
    if (!isDigits(puk, 12)) throw keycardInvalidArgument('puk', 'must be 12 digits');
    if (!isDigits(newPin, 6)) throw keycardInvalidArgument('newPin', 'must be 6 digits');
    await this.secure(unblockPinCommand(ascii(puk + newPin)));
    this.pinVerified = true;
  }

  /** GET STATUS P1=00 (section 7). In a duress session the PIN tries are the duress PIN's. */
  async getStatus(): Promise<KeycardStatus> {
    const status = parseApplicationStatus(await this.secure(getStatusCommand(0)));
    this.keyLoaded = status.keyLoaded;
    return status;
  }

  /** GET STATUS P1=01: the card's current derivation path (empty = master). */
  async getCurrentPath(): Promise<number[]> {
    return parseKeyPath(await this.secure(getStatusCommand(1)));
  }

  /**
   * FACTORY RESET `80 FD AA 55` (section 12), plain, no PIN: erases keys, PIN/PUK, pairings. Pass the
   * exact confirmation string; anything else is INVALID_ARGUMENT. select() again afterwards.
   */
  async factoryReset(confirm: typeof FACTORY_RESET_CONFIRMATION): Promise<void> {
    if (confirm !== FACTORY_RESET_CONFIRMATION) throw keycardInvalidArgument('confirm', `must be '${FACTORY_RESET_CONFIRMATION}'`);
    await this.plain(factoryResetCommand());
    this.forgetCardSession();
    this.info = null;
    this.keyLoaded = false;
  }

  /** GENERATE MNEMONIC (section 8), channel only: BIP39 word indexes (checksum checked). Changes nothing on the card. */
  async generateMnemonic(words: MnemonicWordCount): Promise<number[]> {
    if (!MNEMONIC_WORD_COUNTS.includes(words)) throw keycardInvalidArgument('words', 'must be 12, 15, 18, 21 or 24');
    return parseMnemonicAnswer(await this.secure(generateMnemonicCommand(words / 3)), words);
  }

  /** LOAD KEY P1=03 (section 8): a 64-byte BIP39 seed. Returns the key UID, checked against the seed. */
  async loadSeed(seed: Uint8Array): Promise<Uint8Array> {
    if (!isBytes(seed, 64)) throw keycardInvalidArgument('seed', 'must be 64 bytes');
    const expected = keyUidForSeed(seed);
    const data = Uint8Array.from(seed);
    let answer: Uint8Array;
    try {
      answer = await this.secure(loadKeyCommand(LOAD_KEY_P1.seed, data));
    } finally {
      data.fill(0);
    }
    this.keyLoaded = null;
    const uid = this.checkedKeyUid(answer, expected);
    this.keyLoaded = true;
    return uid;
  }

  /** LOAD KEY P1=01 (no chain code) / 02 (with chain code): `A1 {[80 pub] 81 priv [82 chain]}`. Returns the key UID, checked. */
  async loadKeyPair(key: KeyPairToLoad): Promise<Uint8Array> {
    const template = keyPairTemplate(key);
    let answer: Uint8Array;
    try {
      answer = await this.secure(loadKeyCommand(template.extended ? LOAD_KEY_P1.extendedKeyPair : LOAD_KEY_P1.keyPair, template.data));
    } finally {
      template.data.fill(0);
    }
    this.keyLoaded = null;
    const uid = this.checkedKeyUid(answer, template.keyUid);
    this.keyLoaded = true;
    return uid;
  }

  /** GENERATE KEY (section 8): a random seed on the card, never exportable. Returns the key UID. */
  async generateKey(): Promise<Uint8Array> {
    const uid = parseKeyUid(await this.secure(generateKeyCommand()), 'GENERATE KEY');
    this.keyLoaded = true;
    return uid;
  }

  /** REMOVE KEY (section 8). */
  async removeKey(): Promise<void> {
    await this.secure(removeKeyCommand());
    this.keyLoaded = false;
  }

  /**
   * DERIVE KEY (section 8): sets the card's current path. `source` master (default; `path` absolute),
   * parent or current (`path` relative to it). The docs prefer passing the path to SIGN/EXPORT.
   */
  async deriveKey(path: KeycardPath, source: 'master' | 'parent' | 'current' = 'master'): Promise<void> {
    if (!['master', 'parent', 'current'].includes(source)) throw keycardInvalidArgument('source', 'must be master, parent or current');
    const { bytes } = pathBytes(path);
    await this.secure(deriveKeyCommand(DERIVE_SOURCE[source], bytes));
  }

  /** EXPORT KEY P1=01 P2=01 (section 9): the 65-byte public key at `path` (the master too). */
  async exportPublicKey(path: KeycardPath): Promise<Uint8Array> {
    const { bytes } = pathBytes(path);
    return this.exportPublic(EXPORT_P1.derive, bytes);
  }

  /** EXPORT KEY P1=00 P2=01: the public key of the card's current key. */
  async exportCurrentPublicKey(): Promise<Uint8Array> {
    return this.exportPublic(EXPORT_P1.current, new Uint8Array(0));
  }

  /**
   * EXPORT KEY P2=02 (section 9): public key and chain code at `path`. Refused locally for the
   * EIP-1581 subtree (EXPORT_NOT_ALLOWED, the card refuses it too) and for the master
   * (INVALID_ARGUMENT: the card returns a stale chain code there).
   */
  async exportExtendedPublicKey(path: KeycardPath): Promise<{ publicKey: Uint8Array; chainCode: Uint8Array }> {
    const { indexes, bytes } = pathBytes(path);
    this.checkExtendedExport(indexes);
    const answer = parseExportAnswer(await this.secure(exportKeyCommand(EXPORT_P1.derive, EXPORT_P2.extendedPublicKey, bytes)));
    if (!answer.publicKey || !answer.chainCode) throw keycardBadResponse('extended export without public key or chain code', 'EXPORT KEY');
    return { publicKey: answer.publicKey, chainCode: answer.chainCode };
  }

  /** EXPORT KEY P2=00 (section 9): a private key, only inside `m/43'/60'/1581'` at 5 levels or more (else EXPORT_NOT_ALLOWED, nothing sent). */
  async exportPrivateKey(path: KeycardPath): Promise<Uint8Array> {
    const { indexes, bytes } = pathBytes(path);
    if (!isEip1581(indexes) || indexes.length < EIP1581_MIN_PRIVATE_DEPTH) {
      throw new KeycardError('EXPORT_NOT_ALLOWED', "private keys are exported only inside m/43'/60'/1581' at 5 levels or more", { command: 'EXPORT KEY', field: 'path' });
    }
    const answer = parseExportAnswer(await this.secure(exportKeyCommand(EXPORT_P1.derive, EXPORT_P2.privateKey, bytes)));
    if (!answer.privateKey) throw keycardBadResponse('private export without a private key', 'EXPORT KEY');
    return answer.privateKey;
  }

  /**
   * BIP32 serialisation of the public node at `path` (version default xpub), 2 APDUs: EXPORT KEY
   * public of the parent (for the parent fingerprint), then EXPORT KEY extended of the path. Not for
   * the master or the EIP-1581 subtree (see exportExtendedPublicKey).
   */
  async getXpub(path: KeycardPath, version: number = XPUB_VERSIONS.xpub): Promise<string> {
    const { indexes } = pathBytes(path);
    if (!Number.isInteger(version) || version < 0 || version > 0xffffffff) throw keycardInvalidArgument('version', 'must be a 32-bit version number');
    this.checkExtendedExport(indexes);
    const parent = await this.exportPublicKey(indexes.slice(0, -1));
    const node = await this.exportExtendedPublicKey(indexes);
    try {
      return serializeXpub({
        version,
        depth: indexes.length,
        parentFingerprint: keyFingerprint(compressPoint(parent)),
        childNumber: indexes.at(-1)!,
        chainCode: node.chainCode,
        publicKey: compressPoint(node.publicKey),
      });
    } catch {
      throw keycardBadResponse('the exported node does not serialise as BIP32', 'EXPORT KEY');
    }
  }

  /**
   * SIGN (section 10) a 32-byte digest as is. `{path}` uses P1=01 (derive for this signature, the
   * current path is unchanged; `makeCurrent` P1=02), `{pinless}` P1=03 (plain without a channel),
   * `{current}` P1=00. The DER answer is read leniently, verified under the key the card returned
   * (SIGNATURE_INVALID otherwise), and the recovery id found by recovery.
   */
  async sign(target: SignTarget, digest: Uint8Array): Promise<KeycardSignature> {
    const answer = await this.signAnswer(target, digest);
    return checkCardSignature(answer.der, digest, answer.publicKey);
  }

  /**
   * SIGN for a caller that verifies the signature itself before using it (the PSBT signer, which
   * checks it under the key it derived): the key the card returned and r || s in low-S form, with
   * neither the verification nor the recovery-id search of `sign` (their curve work would be done
   * twice). Never use the signature unverified.
   */
  async signUnverified(target: SignTarget, digest: Uint8Array): Promise<{ readonly publicKey: Uint8Array; readonly compact: Uint8Array }> {
    const answer = await this.signAnswer(target, digest);
    return { publicKey: Uint8Array.from(answer.publicKey), compact: lowSCompact(answer.der) };
  }

  private async signAnswer(target: SignTarget, digest: Uint8Array): Promise<ReturnType<typeof parseSignAnswer>> {
    if (typeof target !== 'object' || target === null) throw keycardInvalidArgument('target', 'must be {path}, {pinless: true} or {current: true}');
    if (!isBytes(digest, 32)) throw keycardInvalidArgument('digest', 'must be 32 bytes');
    let command: CommandApdu;
    if ('pinless' in target) {
      if (target.pinless !== true) throw keycardInvalidArgument('target.pinless', 'must be true');
      command = signCommand(SIGN_P1.pinless, Uint8Array.from(digest));
    } else if ('current' in target) {
      if (target.current !== true) throw keycardInvalidArgument('target.current', 'must be true');
      command = signCommand(SIGN_P1.current, Uint8Array.from(digest));
    } else if ('path' in target) {
      const { bytes } = pathBytes(target.path);
      command = signCommand(target.makeCurrent === true ? SIGN_P1.deriveAndMakeCurrent : SIGN_P1.derive, concat(digest, bytes));
    } else {
      throw keycardInvalidArgument('target', 'must be {path}, {pinless: true} or {current: true}');
    }
    // Section 10: P1=03 works without any channel (plain answer); everything else needs one.
    const data = 'pinless' in target && !this.channelOpen ? await this.plain(command) : await this.secure(command);
    return parseSignAnswer(data);
  }

  /** SET PINLESS PATH (section 10); `m` (empty) unsets it. */
  async setPinlessPath(path: KeycardPath): Promise<void> {
    const { bytes } = pathBytes(path);
    await this.secure(setPinlessPathCommand(bytes));
  }

  /**
   * IDENT (section 13) with a 32-byte challenge: the raw answer data (`A0 {8A cert, 30 sig}`) for the
   * attestation check. Plain without a channel, wrapped inside one. 6985: NO_CERTIFICATE.
   */
  async ident(challenge: Uint8Array): Promise<Uint8Array> {
    if (!isBytes(challenge, 32)) throw keycardInvalidArgument('challenge', 'must be 32 bytes');
    const command = identCommand(Uint8Array.from(challenge));
    return checkIdentAnswer(this.channelOpen ? await this.secure(command) : await this.plain(command));
  }

  /** STORE DATA (section 11), PIN verified: public (127 bytes max), NDEF file content (223), Cash (127). */
  async storeData(kind: DataKind, data: Uint8Array): Promise<void> {
    if (!Object.hasOwn(DATA_P1, kind)) throw keycardInvalidArgument('kind', 'must be public, ndef or cash');
    if (!isBytes(data) || data.length > DATA_MAX_LENGTH[kind]) throw keycardInvalidArgument('data', `must be at most ${DATA_MAX_LENGTH[kind]} bytes`);
    await this.secure(storeDataCommand(kind, Uint8Array.from(data)));
  }

  /** GET DATA (section 11): wrapped inside a channel, plain otherwise. */
  async getData(kind: DataKind): Promise<Uint8Array> {
    if (!Object.hasOwn(DATA_P1, kind)) throw keycardInvalidArgument('kind', 'must be public, ndef or cash');
    return this.channelOpen ? this.secure(getDataCommand(kind, false)) : this.plain(getDataCommand(kind, true));
  }

  /**
   * Escape hatch: one command wrapped in the open channel, answer returned uninterpreted (inner SW
   * included, no error mapping). For commands this client does not model or refuses on purpose
   * (malformed ones in the replay tests). Channel failures still throw and close the channel.
   * Our view of the card's key and PIN state is not updated.
   */
  async sendSecure(command: CommandApdu): Promise<SecureAnswer> {
    return this.exchangeSecure(command);
  }

  /**
   * Escape hatch: one plain APDU, answer returned as is. Any plain APDU ends the card's channel
   * (sections 3, 6.7), so ours is closed first; a SELECT also forgets the Keycard selection.
   */
  async transmitRaw(command: CommandApdu): Promise<ResponseApdu> {
    this.closeChannel();
    if (command.ins === 0xa4 && command.p1 === 0x04) {
      this.forgetCardSession();
      this.info = null;
      this.keyLoaded = null;
    }
    return this.sendApdu(command);
  }

  // -- internals --------------------------------------------------------------------------------

  /** One plain exchange: ends our channel (the card's too), maps any status word but 9000. */
  private async plain(command: CommandApdu): Promise<Uint8Array> {
    this.closeChannel();
    const response = await this.sendApdu(command);
    if (response.sw !== SW_OK) throw this.statusError(response.sw, command, false);
    return response.data;
  }

  /** One wrapped exchange whose inner status word must be 9000. */
  private async secure(command: CommandApdu): Promise<Uint8Array> {
    try {
      const answer = await this.exchangeSecure(command);
      if (answer.sw !== SW_OK) throw this.statusError(answer.sw, command, true);
      return answer.data;
    } finally {
      if (command.sensitive) command.data?.fill(0);
    }
  }

  private async exchangeSecure(command: CommandApdu): Promise<SecureAnswer> {
    const session = this.session;
    if (!session || session.failed) {
      this.session = null;
      throw new KeycardError('SECURE_CHANNEL_REQUIRED', 'open the secure channel first (openSecureChannel)', { command: command.name, reason: 'no secure channel on this client' });
    }
    const wrapped = session.wrap(command);
    let response: ResponseApdu;
    try {
      response = await this.sendApdu(wrapped);
    } catch (error) {
      // Transport failure: we cannot know where the IV chain stands.
      this.closeChannel();
      throw error;
    }
    try {
      return session.unwrap(response, command.name);
    } catch (error) {
      this.closeChannel();
      throw error;
    }
  }

  private statusError(sw: number, command: CommandApdu, wrapped: boolean): KeycardError {
    const name = command.name ?? 'COMMAND';
    const base = { sw: swHex(sw), ins: command.ins.toString(16).padStart(2, '0'), command: name, meaning: keycardStatusWordMeaning(sw) };
    const ins = command.ins;
    let error: KeycardError | null = null;
    if (sw === 0x6985) {
      const pinless = ins === INS.SIGN && (command.p1 & 0x03) === SIGN_P1.pinless;
      if (ins === INS.IDENT) error = new KeycardError('NO_CERTIFICATE', 'the card holds no attestation certificate', base);
      else if (!wrapped && !PLAIN_OK.has(ins)) error = new KeycardError('SECURE_CHANNEL_REQUIRED', 'the card has no secure channel open', base);
      else if (PIN_GATED.has(ins) && !pinless && !this.pinVerified) error = new KeycardError('PIN_NOT_VERIFIED', 'verify the PIN first', base);
      else if (KEY_COMMANDS.has(ins) && this.keyLoaded === false) error = new KeycardError('NO_KEY', 'no key is loaded on the card', base);
      else if (ins === INS.EXPORT_KEY) error = new KeycardError('EXPORT_NOT_ALLOWED', 'the card refused this export', base);
    } else if (sw === 0x6a86 && ins === INS.OPEN_SECURE_CHANNEL) {
      error = new KeycardError('PAIRING_NOT_FOUND', 'the pairing slot is empty on the card; pair again', { ...base, pairingIndex: command.p1 });
    } else if (sw === 0x6982 && ins === INS.PAIR) {
      error = new KeycardError('PAIRING_FAILED', 'the card refused our pairing cryptogram', base);
    } else if (sw === 0x6d00 && ins === INS.INIT) {
      error = new KeycardError('ALREADY_INITIALIZED', 'the card is already initialised', base);
    } else if (sw === 0x6d00 && (ins === INS.FACTORY_RESET || (this.info !== null && !this.info.initialized))) {
      error = this.notInitialized(name, base);
    }
    error ??= keycardErrorForStatusWord(sw, { ins, command: name });
    if (error.code === 'PIN_INVALID' || error.code === 'PIN_BLOCKED') this.pinVerified = false;
    return error;
  }

  private checkedKeyUid(answer: Uint8Array, expected: Uint8Array): Uint8Array {
    const uid = parseKeyUid(answer, 'LOAD KEY');
    if (!bytesEqual(uid, expected)) throw keycardBadResponse('the key UID is not SHA-256 of the loaded master public key', 'LOAD KEY');
    return uid;
  }

  private async exportPublic(p1: number, path: Uint8Array): Promise<Uint8Array> {
    const answer = parseExportAnswer(await this.secure(exportKeyCommand(p1, EXPORT_P2.publicKey, path)));
    if (!answer.publicKey) throw keycardBadResponse('public export without a public key', 'EXPORT KEY');
    return answer.publicKey;
  }

  private checkExtendedExport(indexes: readonly number[]): void {
    if (indexes.length === 0) throw keycardInvalidArgument('path', 'the card returns a stale chain code for the master (section 9); export a derived node');
    if (isEip1581(indexes)) throw new KeycardError('EXPORT_NOT_ALLOWED', "no extended public keys inside m/43'/60'/1581'", { command: 'EXPORT KEY', field: 'path' });
  }

  private requireSelected(): KeycardSelectInfo {
    if (!this.info) throw keycardInvalidArgument('select', 'call select() first: the SELECT answer (card key, state) is needed');
    return this.info;
  }

  private refusePreInitialized(command: string): void {
    if (this.info && !this.info.initialized) throw this.notInitialized(command);
  }

  private notInitialized(command: string, info: object = {}): KeycardError {
    return new KeycardError('NOT_INITIALIZED', 'the card is in factory state: INIT it first', { command, ...info });
  }

  /** Random bytes of exactly `length` from the source (INVALID_ARGUMENT if the source misbehaves). */
  private draw(length: number, what: string): Uint8Array {
    const value = this.random(length);
    if (!isBytes(value, length)) throw keycardInvalidArgument('random', `the random source gave no ${length} bytes for the ${what}`);
    return value;
  }

  /** Six uniformly drawn digits, different from `pin`. */
  private randomDuressPin(pin: string): string {
    for (let attempt = 0; attempt < 16; attempt++) {
      let digits = '';
      for (const byte of this.draw(16, 'duress PIN')) {
        if (byte < 250 && digits.length < 6) digits += String(byte % 10);
      }
      if (digits.length === 6 && digits !== pin) return digits;
    }
    throw keycardInvalidArgument('random', 'the random source gave no usable duress PIN');
  }

  private closeChannel(): void {
    this.session?.close('closed by the client');
    this.session = null;
  }

  private forgetCardSession(): void {
    this.closeChannel();
    this.pinVerified = false;
  }
}

/** Narrowing helper for callers: true when `error` says the channel must be (re)opened. */
export function needsNewChannel(error: unknown): boolean {
  return isKeycardError(error, 'SECURE_CHANNEL_REQUIRED') || isKeycardError(error, 'SECURE_CHANNEL_FAILED');
}
