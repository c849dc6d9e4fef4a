/**
 * The Keycard applet 3.1 (instance `A00000080400010101`), written from
 * ../shared/protocols/keycard.md sections 2-12 and 16-18.
 *
 * Structure, as on the card: `process` dispatches on INS; each handler first checks what it can
 * without the payload, then reads the payload (unwrapping it when the secure channel is open: MAC
 * check, decryption, IV := command MAC), then does the work. Any error thrown while the channel is
 * open is answered wrapped, with whatever IV the channel holds at that point (section 6.5: errors
 * raised before the payload is read use the previous response MAC). A MAC failure closes the
 * channel first, so it is answered plain (`6982`).
 *
 * State table (section 3):
 * - pre-initialized: SELECT, INIT, IDENT (plain); everything else `6D00`.
 * - initialized, no channel: PAIR, OPEN SECURE CHANNEL, IDENT, GET DATA, SIGN P1=03, FACTORY RESET
 *   plain; commands that need the channel `6985`; unknown INS `6D00`.
 * - channel open: every command except OPEN SECURE CHANNEL and FACTORY RESET must be wrapped;
 *   PIN-protected ones also need VERIFY PIN (or UNBLOCK PIN) in this SELECT session.
 *
 * Persistent (survives SELECT and power loss): credentials and counters, pairings, keys, current and
 * PIN-less paths, public data. Volatile: the channel, the PIN-verified state (normal or duress wallet)
 * and a pending PAIR step 1.
 */
import { encodeTlv, parseTlvs } from '../tlv.ts';
import { type Command, ok, statusOnly } from './apdu.ts';
import { EIP1581_PREFIX, MAX_DEPTH, derivePath, encodePath, isEip1581, masterFromSeed, parsePath, samePath, type ExtendedKey } from './bip32.ts';
import { EMPTY, allDigits, concat, equal } from './bytes.ts';
import { aesCbcDecrypt, ecdhX, isValidPrivateKey, isValidUncompressedPoint, pairingHash, publicKeyOf, randomPrivateKey, sha256, signForSign, unpad } from './crypto.ts';
import type { RandomFn } from './random.ts';
import { CardSecureChannel } from './secure-channel.ts';
import { type Applet, type SharedMemory, identResponse } from './shared.ts';
import { CardError, SW, fail, wrongPin } from './status-words.ts';

export const KEYCARD_AID = Uint8Array.of(0xa0, 0x00, 0x00, 0x08, 0x04, 0x00, 0x01, 0x01, 0x01);
/** Tag 02 of SELECT: applet version 3.1. */
export const APPLET_VERSION = Uint8Array.of(0x03, 0x01);
/** Tag 8D of SELECT: secure channel, key management, credentials, NDEF, factory reset. */
export const CAPABILITIES = 0x1f;

export const INS = {
  OPEN_SECURE_CHANNEL: 0x10,
  MUTUALLY_AUTHENTICATE: 0x11,
  PAIR: 0x12,
  UNPAIR: 0x13,
  IDENT: 0x14,
  VERIFY_PIN: 0x20,
  CHANGE_PIN: 0x21,
  UNBLOCK_PIN: 0x22,
  SIGN: 0xc0,
  SET_PINLESS_PATH: 0xc1,
  EXPORT_KEY: 0xc2,
  GET_DATA: 0xca,
  LOAD_KEY: 0xd0,
  DERIVE_KEY: 0xd1,
  GENERATE_MNEMONIC: 0xd2,
  REMOVE_KEY: 0xd3,
  GENERATE_KEY: 0xd4,
  STORE_DATA: 0xe2,
  GET_STATUS: 0xf2,
  FACTORY_RESET: 0xfd,
  INIT: 0xfe,
} as const;

export const PAIRING_SLOTS = 5;
const PIN_LENGTH = 6;
const PUK_LENGTH = 12;
const SECRET_LENGTH = 32;
const DEFAULT_PIN_TRIES = 3;
const DEFAULT_PUK_TRIES = 5;
/** Section 11 / 17: public data, NDEF file, Cash data. */
const DATA_LIMITS: Record<number, number> = { 0x00: 127, 0x01: 223, 0x02: 127 };

/** Derivation sources (DERIVE KEY P1, EXPORT KEY / SIGN P1 high bits). */
const SOURCE_MASTER = 0x00;
const SOURCE_PARENT = 0x40;
const SOURCE_CURRENT = 0x80;
const SOURCE_PINLESS = 0xc0;

interface Credentials {
  pin: Uint8Array;
  puk: Uint8Array;
  duressPin: Uint8Array;
  readonly pinLimit: number;
  readonly pukLimit: number;
  pinTries: number;
  duressTries: number;
  pukTries: number;
  pairingSecret: Uint8Array;
}

interface Wallet {
  readonly master: ExtendedKey;
  /** 65-byte uncompressed master public key. */
  readonly publicKey: Uint8Array;
  /** SHA-256 of the master public key (tag 8E). */
  readonly keyUid: Uint8Array;
}

/** Which wallet VERIFY PIN unlocked in this SELECT session. */
type Session = 'none' | 'main' | 'duress';

/** What INIT decodes (section 4), also used to personalise demo cards directly. */
export interface InitParameters {
  readonly pin: string;
  readonly puk: string;
  readonly pairingSecret: Uint8Array;
  readonly pinTries?: number;
  readonly pukTries?: number;
  /** Default: the first 6 digits of the PUK (section 4, the duress trap). */
  readonly duressPin?: string;
}

export interface KeycardAppletOptions {
  readonly random: RandomFn;
  readonly shared: SharedMemory;
  /** Called with any non-card error a handler raised (an emulator bug; answered `6F00`). */
  readonly onInternalError?: (error: unknown) => void;
}

export class KeycardApplet implements Applet {
  readonly aid = KEYCARD_AID;
  private readonly random: RandomFn;
  private readonly shared: SharedMemory;
  private readonly onInternalError: (error: unknown) => void;

  // Persistent state.
  private preInitKey: Uint8Array;
  private credentials: Credentials | null = null;
  private scKey: Uint8Array | null = null;
  private instanceUid: Uint8Array = EMPTY;
  private pairings: (Uint8Array | null)[] = new Array<Uint8Array | null>(PAIRING_SLOTS).fill(null);
  private wallet: Wallet | null = null;
  private currentPath: number[] = [];
  private pinlessPath: number[] | null = null;
  /** The chain code the last derivation left in the card's buffer (EXPORT P2=02 of the master, section 9). */
  private staleChainCode: Uint8Array = new Uint8Array(32);
  private publicData: Uint8Array = EMPTY;

  // Volatile state.
  private readonly channel = new CardSecureChannel();
  private session: Session = 'none';
  /** Card challenge of a PAIR step 1 answered by the previous APDU. */
  private pairChallenge: Uint8Array | null = null;

  constructor(options: KeycardAppletOptions) {
    this.random = options.random;
    this.shared = options.shared;
    this.onInternalError = options.onInternalError ?? (() => {});
    this.preInitKey = randomPrivateKey(this.random);
  }

  get initialized(): boolean {
    return this.credentials !== null;
  }

  select(): Uint8Array {
    this.deselect();
    if (!this.credentials || !this.scKey) return ok(encodeTlv(0x80, publicKeyOf(this.preInitKey)));
    const free = this.pairings.filter((p) => p === null).length;
    return ok(
      encodeTlv(
        0xa4,
        concat(
          encodeTlv(0x8f, this.instanceUid),
          encodeTlv(0x80, publicKeyOf(this.scKey)),
          encodeTlv(0x02, APPLET_VERSION),
          encodeTlv(0x02, Uint8Array.of(free)),
          encodeTlv(0x8e, this.wallet?.keyUid ?? EMPTY),
          encodeTlv(0x8d, Uint8Array.of(CAPABILITIES)),
        ),
      ),
    );
  }

  /** SELECT (of any applet) and power loss: channel closed, PIN no longer verified (sections 2, 6.7). */
  deselect(): void {
    this.channel.close();
    this.session = 'none';
    this.pairChallenge = null;
  }

  process(command: Command): Uint8Array {
    const pairChallenge = this.pairChallenge;
    this.pairChallenge = null;
    try {
      const data = this.credentials ? this.dispatch(command, pairChallenge) : this.dispatchPreInitialized(command);
      return this.channel.isOpen ? this.channel.wrap(data, SW.OK) : ok(data);
    } catch (error) {
      let status: number = SW.UNKNOWN;
      if (error instanceof CardError) status = error.sw;
      else this.onInternalError(error);
      return this.channel.isOpen ? this.channel.wrap(EMPTY, status) : statusOnly(status);
    }
  }

  /**
   * Personalises the card as INIT would, without the encrypted APDU (demo cards). Only on a
   * pre-initialized card; validation as in INIT.
   */
  personalise(parameters: InitParameters): void {
    if (this.credentials) throw new Error('card already initialized');
    const ascii = (s: string) => new TextEncoder().encode(s);
    const tail =
      parameters.pinTries !== undefined || parameters.pukTries !== undefined || parameters.duressPin !== undefined
        ? concat(Uint8Array.of(parameters.pinTries ?? DEFAULT_PIN_TRIES, parameters.pukTries ?? DEFAULT_PUK_TRIES), parameters.duressPin ? ascii(parameters.duressPin) : EMPTY)
        : EMPTY;
    this.initialise(concat(ascii(parameters.pin), ascii(parameters.puk), parameters.pairingSecret, tail));
  }

  /** LOAD KEY P1=03 without a session (demo cards): replaces the key, as the APDU does. */
  loadSeed(seed: Uint8Array): Uint8Array {
    if (!this.credentials) throw new Error('card not initialized');
    return this.loadSeedBytes(seed);
  }

  // ---------------------------------------------------------------- dispatch

  private dispatchPreInitialized(command: Command): Uint8Array {
    switch (command.ins) {
      case INS.INIT:
        this.initialise(this.decryptInit(command.data));
        return EMPTY;
      case INS.IDENT:
        return identResponse(this.shared, command.data, this.random);
      default:
        fail(SW.INS_NOT_SUPPORTED);
    }
  }

  private dispatch(command: Command, pairChallenge: Uint8Array | null): Uint8Array {
    switch (command.ins) {
      case INS.OPEN_SECURE_CHANNEL:
        return this.openSecureChannel(command);
      case INS.MUTUALLY_AUTHENTICATE:
        return this.mutuallyAuthenticate(command);
      case INS.PAIR:
        return this.pair(command, pairChallenge);
      case INS.UNPAIR:
        return this.unpair(command);
      case INS.IDENT:
        return identResponse(this.shared, this.payloadOrPlain(command), this.random);
      case INS.VERIFY_PIN:
        return this.verifyPin(command);
      case INS.CHANGE_PIN:
        return this.changePin(command);
      case INS.UNBLOCK_PIN:
        return this.unblockPin(command);
      case INS.GET_STATUS:
        return this.getStatus(command);
      case INS.GENERATE_MNEMONIC:
        return this.generateMnemonic(command);
      case INS.LOAD_KEY:
        return this.loadKey(command);
      case INS.GENERATE_KEY:
        this.payload(command);
        this.requirePin();
        return this.loadSeedBytes(this.random(64));
      case INS.REMOVE_KEY:
        this.payload(command);
        this.requirePin();
        this.removeKey();
        return EMPTY;
      case INS.DERIVE_KEY:
        return this.deriveKey(command);
      case INS.EXPORT_KEY:
        return this.exportKey(command);
      case INS.SIGN:
        return this.sign(command);
      case INS.SET_PINLESS_PATH:
        return this.setPinlessPath(command);
      case INS.STORE_DATA:
        return this.storeData(command);
      case INS.GET_DATA:
        return this.getData(command);
      case INS.FACTORY_RESET:
        if (command.p1 !== 0xaa || command.p2 !== 0x55) fail(SW.INCORRECT_P1P2);
        this.factoryReset();
        return EMPTY;
      default:
        // INIT on an initialized card lands here too (section 4: 6D00).
        fail(SW.INS_NOT_SUPPORTED);
    }
  }

  /** Reads the payload of a command that needs the secure channel (plain `6985` without one). */
  private payload(command: Command): Uint8Array {
    return this.channel.unwrap(command.cla, command.ins, command.p1, command.p2, command.lc, command.data);
  }

  /** Commands that also work without a channel (IDENT, GET DATA, SIGN P1=03): wrapped only when it is open. */
  private payloadOrPlain(command: Command): Uint8Array {
    return this.channel.isOpen ? this.payload(command) : command.data;
  }

  private requirePin(): void {
    if (this.session === 'none') fail(SW.CONDITIONS_NOT_SATISFIED);
  }

  private requireCredentials(): Credentials {
    const credentials = this.credentials;
    if (!credentials) fail(SW.INS_NOT_SUPPORTED);
    return credentials;
  }

  // ---------------------------------------------------------------- INIT (section 4)

  private decryptInit(data: Uint8Array): Uint8Array {
    if (data.length < 1 + 65 + 16 + 16 || data[0] !== 0x41) fail(SW.WRONG_DATA);
    const hostKey = data.slice(1, 66);
    if (!isValidUncompressedPoint(hostKey)) fail(SW.WRONG_DATA);
    const iv = data.slice(66, 82);
    const ciphertext = data.slice(82);
    if (ciphertext.length % 16 !== 0) fail(SW.WRONG_DATA);
    const plain = unpad(aesCbcDecrypt(ecdhX(this.preInitKey, hostKey), iv, ciphertext));
    if (!plain) fail(SW.WRONG_DATA);
    return plain;
  }

  /** PIN (6) || PUK (12) || pairing secret (32) [|| PIN tries || PUK tries [|| duress PIN (6)]]. */
  private initialise(plain: Uint8Array): void {
    const base = PIN_LENGTH + PUK_LENGTH + SECRET_LENGTH;
    if (plain.length !== base && plain.length !== base + 2 && plain.length !== base + 2 + PIN_LENGTH) fail(SW.WRONG_DATA);
    const pin = plain.slice(0, PIN_LENGTH);
    const puk = plain.slice(PIN_LENGTH, PIN_LENGTH + PUK_LENGTH);
    if (!allDigits(pin) || !allDigits(puk)) fail(SW.WRONG_DATA);
    const pinLimit = plain.length > base ? plain[base]! : DEFAULT_PIN_TRIES;
    const pukLimit = plain.length > base ? plain[base + 1]! : DEFAULT_PUK_TRIES;
    if (pinLimit < 2 || pinLimit > 10 || pukLimit < 3 || pukLimit > 12) fail(SW.WRONG_DATA);
    // The duress PIN is not checked (section 4); by default it is the first half of the PUK.
    const duressPin = plain.length === base + 2 + PIN_LENGTH ? plain.slice(base + 2) : puk.slice(0, PIN_LENGTH);
    this.credentials = {
      pin,
      puk,
      duressPin,
      pinLimit,
      pukLimit,
      pinTries: pinLimit,
      duressTries: pinLimit,
      pukTries: pukLimit,
      pairingSecret: plain.slice(PIN_LENGTH + PUK_LENGTH, base),
    };
    this.scKey = randomPrivateKey(this.random);
    this.instanceUid = this.random(16);
    this.pairings = new Array<Uint8Array | null>(PAIRING_SLOTS).fill(null);
    this.wallet = null;
    this.currentPath = [];
    this.pinlessPath = null;
    this.publicData = EMPTY;
  }

  // ---------------------------------------------------------------- FACTORY RESET (section 12)

  private factoryReset(): void {
    this.deselect();
    this.credentials = null;
    this.scKey = null;
    this.instanceUid = EMPTY;
    this.pairings = new Array<Uint8Array | null>(PAIRING_SLOTS).fill(null);
    this.removeKey();
    this.publicData = EMPTY;
    this.preInitKey = randomPrivateKey(this.random);
  }

  // ---------------------------------------------------------------- pairing and channel (sections 5, 6)

  private pair(command: Command, pending: Uint8Array | null): Uint8Array {
    const credentials = this.requireCredentials();
    if (this.channel.isOpen) fail(SW.CONDITIONS_NOT_SATISFIED);
    if (command.p1 !== 0x00 && command.p1 !== 0x01) fail(SW.INCORRECT_P1P2);
    if (command.data.length !== 32) fail(SW.WRONG_DATA);
    if (command.p1 === 0x00) {
      if (!this.pairings.includes(null)) fail(SW.NOT_ENOUGH_MEMORY);
      const cardChallenge = this.random(32);
      this.pairChallenge = cardChallenge;
      return concat(pairingHash(credentials.pairingSecret, command.data), cardChallenge);
    }
    if (!pending) fail(SW.INCORRECT_P1P2);
    if (!equal(command.data, pairingHash(credentials.pairingSecret, pending))) fail(SW.SECURITY_STATUS_NOT_SATISFIED);
    const slot = this.pairings.indexOf(null);
    if (slot < 0) fail(SW.NOT_ENOUGH_MEMORY);
    const salt = this.random(32);
    this.pairings[slot] = pairingHash(credentials.pairingSecret, salt);
    return concat(Uint8Array.of(slot), salt);
  }

  private unpair(command: Command): Uint8Array {
    this.payload(command);
    this.requirePin();
    if (command.p1 >= PAIRING_SLOTS) fail(SW.INCORRECT_P1P2);
    // Unpairing the slot of the current session does not end the session (section 5).
    this.pairings[command.p1] = null;
    return EMPTY;
  }

  private openSecureChannel(command: Command): Uint8Array {
    // The previous session ends before anything is checked (6.1).
    this.channel.close();
    const pairingKey = command.p1 < PAIRING_SLOTS ? this.pairings[command.p1] : null;
    if (!pairingKey || !this.scKey) fail(SW.INCORRECT_P1P2);
    if (!isValidUncompressedPoint(command.data)) fail(SW.WRONG_DATA);
    return this.channel.open(this.scKey, command.data, pairingKey, this.random);
  }

  private mutuallyAuthenticate(command: Command): Uint8Array {
    if (this.channel.isOpen) {
      this.payload(command);
      fail(SW.CONDITIONS_NOT_SATISFIED);
    }
    if (!this.channel.awaitingAuthentication) fail(SW.CONDITIONS_NOT_SATISFIED);
    const challenge = this.channel.unwrap(command.cla, command.ins, command.p1, command.p2, command.lc, command.data, false);
    if (challenge.length !== 32) {
      this.channel.close();
      fail(SW.SECURITY_STATUS_NOT_SATISFIED);
    }
    this.channel.authenticate();
    return this.random(32);
  }

  // ---------------------------------------------------------------- PIN, PUK, status (section 7)

  private verifyPin(command: Command): Uint8Array {
    const pin = this.payload(command);
    const c = this.requireCredentials();
    if (pin.length !== PIN_LENGTH || !allDigits(pin)) fail(SW.WRONG_DATA);
    this.session = 'none';
    const duressOk = c.duressTries > 0 && equal(pin, c.duressPin);
    const mainOk = c.pinTries > 0 && equal(pin, c.pin);
    // "Fake PIN takes precedence": when both match, the duress wallet is served.
    if (duressOk || mainOk) {
      c.pinTries = c.pinLimit;
      c.duressTries = c.pinLimit;
      this.session = duressOk ? 'duress' : 'main';
      return EMPTY;
    }
    c.pinTries = Math.max(0, c.pinTries - 1);
    c.duressTries = Math.max(0, c.duressTries - 1);
    fail(wrongPin(c.pinTries));
  }

  private changePin(command: Command): Uint8Array {
    const data = this.payload(command);
    const c = this.requireCredentials();
    this.requirePin();
    switch (command.p1) {
      case 0x00:
        if (data.length !== PIN_LENGTH || !allDigits(data)) fail(SW.WRONG_DATA);
        // In a duress session the duress PIN is the one changed (section 7, observed).
        if (this.session === 'duress') c.duressPin = data;
        else c.pin = data;
        return EMPTY;
      case 0x01:
        if (data.length !== PUK_LENGTH || !allDigits(data)) fail(SW.WRONG_DATA);
        c.puk = data;
        return EMPTY;
      case 0x02:
        if (data.length !== SECRET_LENGTH) fail(SW.WRONG_DATA);
        c.pairingSecret = data;
        return EMPTY;
      default:
        fail(SW.INCORRECT_P1P2);
    }
  }

  private unblockPin(command: Command): Uint8Array {
    const data = this.payload(command);
    const c = this.requireCredentials();
    if (c.pinTries !== 0) fail(SW.CONDITIONS_NOT_SATISFIED);
    if (data.length !== PUK_LENGTH + PIN_LENGTH || !allDigits(data)) fail(SW.WRONG_DATA);
    if (c.pukTries === 0) fail(wrongPin(0));
    if (!equal(data.slice(0, PUK_LENGTH), c.puk)) {
      c.pukTries -= 1;
      fail(wrongPin(c.pukTries));
    }
    c.pukTries = c.pukLimit;
    c.pin = data.slice(PUK_LENGTH);
    c.pinTries = c.pinLimit;
    c.duressTries = c.pinLimit;
    this.session = 'main';
    return EMPTY;
  }

  private getStatus(command: Command): Uint8Array {
    this.payload(command);
    const c = this.requireCredentials();
    switch (command.p1) {
      case 0x00: {
        const pinTries = this.session === 'duress' ? c.duressTries : c.pinTries;
        return encodeTlv(
          0xa3,
          concat(encodeTlv(0x02, Uint8Array.of(pinTries)), encodeTlv(0x02, Uint8Array.of(c.pukTries)), encodeTlv(0x01, Uint8Array.of(this.wallet ? 0xff : 0x00))),
        );
      }
      case 0x01:
        return encodePath(this.currentPath);
      default:
        fail(SW.INCORRECT_P1P2);
    }
  }

  // ---------------------------------------------------------------- keys (section 8)

  /** BIP39 bit string (entropy || first P1 bits of SHA-256(entropy)) as 11-bit word indexes. */
  private generateMnemonic(command: Command): Uint8Array {
    this.payload(command);
    const checksumBits = command.p1;
    if (checksumBits < 4 || checksumBits > 8) fail(SW.INCORRECT_P1P2);
    return mnemonicIndexes(this.random(checksumBits * 4));
  }

  private loadKey(command: Command): Uint8Array {
    const data = this.payload(command);
    this.requirePin();
    switch (command.p1) {
      case 0x03:
        if (data.length !== 64) fail(SW.WRONG_DATA);
        return this.loadSeedBytes(data);
      case 0x01:
      case 0x02:
        return this.loadKeyPair(data);
      default:
        fail(SW.INCORRECT_P1P2);
    }
  }

  private loadSeedBytes(seed: Uint8Array): Uint8Array {
    const master = masterFromSeed(seed);
    if (!master) fail(SW.INVALID_KEY);
    return this.installKey(master);
  }

  /**
   * `A1 { [80 public key] 81 private key [82 chain code] }`. Only the presence of tag 82 makes the
   * key extended, whatever P1 says (section 18 item 8).
   */
  private loadKeyPair(data: Uint8Array): Uint8Array {
    const outer = parseTlvs(data);
    const template = outer?.[0];
    if (!outer || outer.length !== 1 || !template || template.tag !== 0xa1) fail(SW.WRONG_DATA);
    const fields = parseTlvs(template.value);
    if (!fields) fail(SW.WRONG_DATA);
    let i = 0;
    if (fields[i]?.tag === 0x80) {
      if (!isValidUncompressedPoint(fields[i]!.value)) fail(SW.WRONG_DATA);
      i += 1;
    }
    const privateField = fields[i];
    if (!privateField || privateField.tag !== 0x81 || !isValidPrivateKey(privateField.value)) fail(SW.WRONG_DATA);
    i += 1;
    let chainCode: Uint8Array | null = null;
    const chainField = fields[i];
    if (chainField?.tag === 0x82) {
      if (chainField.value.length !== 32) fail(SW.WRONG_DATA);
      chainCode = chainField.value;
    }
    return this.installKey({ privateKey: privateField.value, chainCode });
  }

  /** Replaces the key, resets the current path to the master and clears the PIN-less path; answers the key UID. */
  private installKey(master: ExtendedKey): Uint8Array {
    const publicKey = publicKeyOf(master.privateKey);
    this.wallet = { master, publicKey, keyUid: sha256(publicKey) };
    this.currentPath = [];
    this.pinlessPath = null;
    this.staleChainCode = master.chainCode ?? new Uint8Array(32);
    return this.wallet.keyUid;
  }

  private removeKey(): void {
    this.wallet = null;
    this.currentPath = [];
    this.pinlessPath = null;
    this.staleChainCode = new Uint8Array(32);
  }

  private requireWallet(): Wallet {
    if (!this.wallet) fail(SW.CONDITIONS_NOT_SATISFIED);
    return this.wallet;
  }

  /** The master of the wallet this session serves: duress = same key, chain code SHA-256(chain code). */
  private root(wallet: Wallet): ExtendedKey {
    if (this.session !== 'duress' || !wallet.master.chainCode) return wallet.master;
    return { privateKey: wallet.master.privateKey, chainCode: sha256(wallet.master.chainCode) };
  }

  /** Key at `path`; a non-extended key has only the master. Leaves the chain code in the card's buffer. */
  private keyAt(wallet: Wallet, path: readonly number[]): ExtendedKey {
    const root = this.root(wallet);
    if (path.length === 0) return root;
    if (!root.chainCode) fail(SW.CONDITIONS_NOT_SATISFIED);
    const key = derivePath(root, path);
    this.staleChainCode = key.chainCode!;
    return key;
  }

  private parsePathData(bytes: Uint8Array): number[] {
    const path = parsePath(bytes);
    if (!path || path.length > MAX_DEPTH) fail(SW.WRONG_DATA);
    return path;
  }

  private basePath(source: number): number[] {
    switch (source) {
      case SOURCE_MASTER:
        return [];
      case SOURCE_PARENT:
        if (this.currentPath.length === 0) fail(SW.WRONG_P1P2);
        return this.currentPath.slice(0, -1);
      case SOURCE_CURRENT:
        return this.currentPath.slice();
      default:
        if (!this.pinlessPath) fail(SW.REFERENCED_DATA_NOT_FOUND);
        return this.pinlessPath.slice();
    }
  }

  /** Base path + the command's path, at most 10 levels; non-extended keys only have the master. */
  private resolve(wallet: Wallet, base: number[], extra: Uint8Array): number[] {
    const path = [...base, ...this.parsePathData(extra)];
    if (path.length > MAX_DEPTH) fail(SW.WRONG_DATA);
    if (path.length > 0 && !wallet.master.chainCode) fail(SW.CONDITIONS_NOT_SATISFIED);
    return path;
  }

  private deriveKey(command: Command): Uint8Array {
    const data = this.payload(command);
    this.requirePin();
    const wallet = this.requireWallet();
    const source = command.p1;
    if (source !== SOURCE_MASTER && source !== SOURCE_PARENT && source !== SOURCE_CURRENT && source !== SOURCE_PINLESS) fail(SW.INCORRECT_P1P2);
    if (source === SOURCE_PINLESS && data.length !== 0) fail(SW.WRONG_DATA);
    this.currentPath = this.resolve(wallet, this.basePath(source), data);
    return EMPTY;
  }

  private exportKey(command: Command): Uint8Array {
    const data = this.payload(command);
    this.requirePin();
    const wallet = this.requireWallet();
    const mode = command.p1 & 0x3f;
    const source = command.p1 & 0xc0;
    if (mode > 0x02 || (mode !== 0x00 && source === SOURCE_PINLESS)) fail(SW.INCORRECT_P1P2);
    if (command.p2 > 0x02) fail(SW.INCORRECT_P1P2);
    const path = this.resolve(wallet, mode === 0x00 ? this.currentPath.slice() : this.basePath(source), data);
    // Section 9: private keys only inside EIP-1581 with >= 5 levels; no extended public key there.
    if (command.p2 === 0x00 && !(isEip1581(path) && path.length >= EIP1581_PREFIX.length + 2)) fail(SW.CONDITIONS_NOT_SATISFIED);
    if (command.p2 === 0x02 && (isEip1581(path) || !wallet.master.chainCode)) fail(SW.CONDITIONS_NOT_SATISFIED);
    const key = this.keyAt(wallet, path);
    if (mode === 0x02) this.currentPath = path;
    if (command.p2 === 0x00) return encodeTlv(0xa1, encodeTlv(0x81, key.privateKey));
    const publicKey = encodeTlv(0x80, publicKeyOf(key.privateKey));
    if (command.p2 === 0x01) return encodeTlv(0xa1, publicKey);
    // For the master the card answers whatever chain code its buffer holds (section 18 item 9).
    const chainCode = path.length === 0 ? this.staleChainCode : key.chainCode!;
    return encodeTlv(0xa1, concat(publicKey, encodeTlv(0x82, chainCode)));
  }

  // ---------------------------------------------------------------- SIGN and the PIN-less path (section 10)

  private sign(command: Command): Uint8Array {
    const mode = command.p1 & 0x3f;
    // Undefined P1 is refused before the payload is read (6.5 quirk).
    if (mode > 0x03) fail(SW.WRONG_P1P2);
    const pinless = mode === 0x03;
    const data = pinless ? this.payloadOrPlain(command) : this.payload(command);
    if (data.length < 32) fail(SW.WRONG_DATA);
    if (pinless && data.length !== 32) fail(SW.WRONG_DATA);
    const digest = data.slice(0, 32);
    const extra = data.slice(32);
    if (pinless && !this.pinlessPath) fail(SW.REFERENCED_DATA_NOT_FOUND);
    const wallet = this.requireWallet();
    let path: number[];
    if (pinless) path = this.pinlessPath!.slice();
    else path = this.resolve(wallet, mode === 0x00 ? this.currentPath.slice() : this.basePath(command.p1 & 0xc0), extra);
    const allowed = this.session !== 'none' || pinless || (this.pinlessPath !== null && samePath(path, this.pinlessPath));
    if (!allowed) fail(SW.CONDITIONS_NOT_SATISFIED);
    if (path.length > 0 && !wallet.master.chainCode) fail(SW.CONDITIONS_NOT_SATISFIED);
    const key = this.keyAt(wallet, path);
    if (mode === 0x02) this.currentPath = path;
    const signature = signForSign(key.privateKey, digest, this.random);
    return encodeTlv(0xa0, concat(encodeTlv(0x80, publicKeyOf(key.privateKey)), signature));
  }

  private setPinlessPath(command: Command): Uint8Array {
    const data = this.payload(command);
    this.requirePin();
    const path = this.parsePathData(data);
    this.pinlessPath = path.length === 0 ? null : path;
    return EMPTY;
  }

  // ---------------------------------------------------------------- STORE DATA / GET DATA (section 11)

  private storeData(command: Command): Uint8Array {
    const data = this.payload(command);
    this.requirePin();
    const limit = DATA_LIMITS[command.p1];
    if (limit === undefined) fail(SW.INCORRECT_P1P2);
    if (data.length > limit) fail(SW.WRONG_DATA);
    if (command.p1 === 0x00) this.publicData = data;
    else if (command.p1 === 0x01) this.shared.ndefData = data;
    else this.shared.cashData = data;
    return EMPTY;
  }

  private getData(command: Command): Uint8Array {
    this.payloadOrPlain(command);
    switch (command.p1) {
      case 0x00:
        return this.publicData;
      case 0x01:
        return this.shared.ndefData;
      case 0x02:
        return this.shared.cashData;
      default:
        fail(SW.INCORRECT_P1P2);
    }
  }
}

/** GENERATE MNEMONIC's answer for `entropy` (section 8): one big-endian u16 word index per 11 bits. */
export function mnemonicIndexes(entropy: Uint8Array): Uint8Array {
  const checksumBits = entropy.length / 4;
  const bits: number[] = [];
  for (const byte of entropy) for (let b = 7; b >= 0; b -= 1) bits.push((byte >> b) & 1);
  const hash = sha256(entropy);
  for (let b = 0; b < checksumBits; b += 1) bits.push((hash[b >> 3]! >> (7 - (b & 7))) & 1);
  const words = bits.length / 11;
  const out = new Uint8Array(words * 2);
  for (let w = 0; w < words; w += 1) {
    let index = 0;
    for (let b = 0; b < 11; b += 1) index = (index << 1) | bits[w * 11 + b]!;
    out[w * 2] = index >> 8;
    out[w * 2 + 1] = index & 0xff;
  }
  return out;
}
