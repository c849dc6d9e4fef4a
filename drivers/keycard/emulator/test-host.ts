/**
 * Test support: a minimal Keycard host written from ../shared/protocols/keycard.md (INIT encryption
 * section 4, PAIR section 5, OPEN SECURE CHANNEL / MUTUALLY AUTHENTICATE / wrapping section 6) to
 * drive the emulator in unit tests. Independent of the app's client (drivers/keycard/*.ts) on
 * purpose, so that each can check the other. Uses only the emulator's generic primitives (AES,
 * padding, CBC-MAC, ECDH), never its channel or applet code.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { pbkdf2 } from '@noble/hashes/pbkdf2.js';
import type { CardEmulator } from '../../virtual/emulator.ts';
import { parseTlvs } from '../tlv.ts';
import { ascii, concat, equal, fromHex } from './bytes.ts';
import { aesCbcDecrypt, aesCbcEncrypt, cbcMac, ecdhX, pad, sha256, sha512, unpad } from './crypto.ts';
import { KEYCARD_AID } from './keycard-applet.ts';
import { seededRandom, type RandomFn } from './random.ts';

export interface Answer {
  readonly sw: number;
  readonly data: Uint8Array;
}

export interface HostKeys {
  readonly encKey: Uint8Array;
  readonly macKey: Uint8Array;
}

export function split(response: Uint8Array): Answer {
  if (response.length < 2) throw new Error(`response shorter than a status word: ${response.length}`);
  return { sw: (response[response.length - 2]! << 8) | response[response.length - 1]!, data: response.slice(0, -2) };
}

export function apdu(cla: number, ins: number, p1: number, p2: number, data?: Uint8Array): Uint8Array {
  return data && data.length ? concat(Uint8Array.of(cla, ins, p1, p2, data.length), data) : Uint8Array.of(cla, ins, p1, p2);
}

/** Section 5: PBKDF2-HMAC-SHA256(password NFKD, "Keycard Pairing Password Salt", 50 000, 32). */
export function pairingSecretFromPassword(password: string): Uint8Array {
  return pbkdf2(sha256, ascii(password.normalize('NFKD')), ascii('Keycard Pairing Password Salt'), { c: 50_000, dkLen: 32 });
}

export interface InitOptions {
  readonly pin: string;
  readonly puk: string;
  readonly pairingSecret: Uint8Array;
  /** 52-byte form when given (with pukTries). */
  readonly pinTries?: number;
  readonly pukTries?: number;
  /** 58-byte form when given. */
  readonly duressPin?: string;
}

/** Section 4: the INIT plaintext in the shortest form that carries the given options. */
export function initPlaintext(options: InitOptions): Uint8Array {
  const parts = [ascii(options.pin), ascii(options.puk), options.pairingSecret];
  if (options.pinTries !== undefined || options.pukTries !== undefined || options.duressPin !== undefined) {
    parts.push(Uint8Array.of(options.pinTries ?? 3, options.pukTries ?? 5));
    if (options.duressPin !== undefined) parts.push(ascii(options.duressPin));
  }
  return concat(...parts);
}

/** Section 4: INIT data = 41 || host ephemeral key || IV || AES-256-CBC(ECDH X, IV, pad(plaintext)). */
export function initData(cardPublicKey: Uint8Array, hostPrivateKey: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const key = ecdhX(hostPrivateKey, cardPublicKey);
  return concat(Uint8Array.of(0x41), secp256k1.getPublicKey(hostPrivateKey, false), iv, aesCbcEncrypt(key, iv, pad(plaintext)));
}

/** Section 6.1 on the host side. */
export function hostSessionKeys(hostPrivateKey: Uint8Array, cardPublicKey: Uint8Array, pairingKey: Uint8Array, salt: Uint8Array): HostKeys {
  const k = sha512(concat(ecdhX(hostPrivateKey, cardPublicKey), pairingKey, salt));
  return { encKey: k.slice(0, 32), macKey: k.slice(32) };
}

/** Section 6.3: the wire APDU and its MAC (the next IV). */
export function wrapCommand(keys: HostKeys, iv: Uint8Array, cla: number, ins: number, p1: number, p2: number, data: Uint8Array): { apdu: Uint8Array; mac: Uint8Array } {
  const ct = aesCbcEncrypt(keys.encKey, iv, pad(data));
  const lc = 16 + ct.length;
  const header = new Uint8Array(16);
  header.set([cla, ins, p1, p2, lc]);
  const mac = cbcMac(keys.macKey, concat(header, ct));
  return { apdu: concat(Uint8Array.of(cla, ins, p1, p2, lc), mac, ct), mac };
}

export interface Unwrapped extends Answer {
  readonly responseMac: Uint8Array;
  /** True when the answer only decrypted with the previous response MAC (the 6.5 quirk). */
  readonly usedPreviousIv: boolean;
}

/** Section 6.4 (+ 6.5): checks the response MAC, decrypts, splits data and inner SW; null on failure. */
export function unwrapResponse(keys: HostKeys, commandMac: Uint8Array, previousIv: Uint8Array, responseData: Uint8Array): Unwrapped | null {
  if (responseData.length < 32 || responseData.length % 16 !== 0) return null;
  const rmac = responseData.slice(0, 16);
  const rct = responseData.slice(16);
  const header = new Uint8Array(16);
  header[0] = responseData.length;
  if (!equal(rmac, cbcMac(keys.macKey, concat(header, rct)))) return null;
  for (const [iv, usedPreviousIv] of [
    [commandMac, false],
    [previousIv, true],
  ] as const) {
    const plain = unpad(aesCbcDecrypt(keys.encKey, iv, rct));
    if (plain && plain.length >= 2) return { ...split(plain), responseMac: rmac, usedPreviousIv };
  }
  return null;
}

export interface Pairing {
  readonly index: number;
  readonly pairingKey: Uint8Array;
}

/** What the last SELECT of the Keycard applet told. */
export interface SelectInfo {
  readonly initialized: boolean;
  readonly publicKey: Uint8Array;
  readonly instanceUid?: Uint8Array;
  readonly version?: Uint8Array;
  readonly freeSlots?: number;
  readonly keyUid?: Uint8Array;
  readonly capabilities?: number;
  /** Tags of the A4 template in order. */
  readonly tags?: number[];
  /** True when the A4 length used the long form 81 xx. */
  readonly longForm?: boolean;
}

export function parseSelect(data: Uint8Array): SelectInfo {
  const top = parseTlvs(data);
  if (!top || top.length !== 1) throw new Error('SELECT answer is not one TLV');
  const first = top[0]!;
  if (first.tag === 0x80) return { initialized: false, publicKey: first.value };
  if (first.tag !== 0xa4) throw new Error(`unexpected SELECT tag ${first.tag}`);
  const fields = parseTlvs(first.value);
  if (!fields) throw new Error('bad A4 template');
  const ints = fields.filter((f) => f.tag === 0x02);
  return {
    initialized: true,
    publicKey: fields.find((f) => f.tag === 0x80)!.value,
    instanceUid: fields.find((f) => f.tag === 0x8f)?.value,
    version: ints[0]?.value,
    freeSlots: ints[1]?.value[0],
    keyUid: fields.find((f) => f.tag === 0x8e)?.value,
    capabilities: fields.find((f) => f.tag === 0x8d)?.value[0],
    tags: fields.map((f) => f.tag),
    longForm: data[1] === 0x81,
  };
}

export class KeycardTestHost {
  info: SelectInfo | null = null;
  keys: HostKeys | null = null;
  iv: Uint8Array = new Uint8Array(16);
  /** Details of the last wrapped exchange. */
  last: Unwrapped | null = null;
  /** Every (APDU, response) pair sent, for debugging. */
  readonly log: { command: Uint8Array; response: Uint8Array }[] = [];
  private readonly random: RandomFn;

  constructor(
    readonly card: CardEmulator,
    random: RandomFn = seededRandom('keycard test host'),
  ) {
    this.random = random;
  }

  private randomKey(): Uint8Array {
    for (;;) {
      const k = this.random(32);
      if (secp256k1.utils.isValidSecretKey(k)) return k;
    }
  }

  /** Sends raw bytes, answers the SW and data exactly as the card returned them. */
  transmit(command: Uint8Array | string): Answer {
    const bytes = typeof command === 'string' ? fromHex(command) : command;
    const response = this.card.process(bytes);
    if (response instanceof Promise) throw new Error('this test host needs a synchronous card');
    this.log.push({ command: bytes, response });
    return split(response);
  }

  select(aid: Uint8Array = KEYCARD_AID): Answer {
    this.keys = null;
    const answer = this.transmit(apdu(0x00, 0xa4, 0x04, 0x00, aid));
    if (answer.sw === 0x9000 && equal(aid, KEYCARD_AID)) this.info = parseSelect(answer.data);
    return answer;
  }

  init(options: InitOptions, hostPrivateKey = this.randomKey(), iv = this.random(16)): Answer {
    if (!this.info) throw new Error('SELECT first');
    return this.transmit(apdu(0x80, 0xfe, 0, 0, initData(this.info.publicKey, hostPrivateKey, iv, initPlaintext(options))));
  }

  pairStep1(clientChallenge: Uint8Array): Answer {
    return this.transmit(apdu(0x80, 0x12, 0x00, 0x00, clientChallenge));
  }

  pairStep2(clientCryptogram: Uint8Array): Answer {
    return this.transmit(apdu(0x80, 0x12, 0x01, 0x00, clientCryptogram));
  }

  /** Both PAIR steps; throws when the card's cryptogram or step 2 fails. */
  pair(pairingSecret: Uint8Array, clientChallenge = this.random(32)): Pairing {
    const first = this.pairStep1(clientChallenge);
    if (first.sw !== 0x9000) throw new Error(`PAIR step 1: ${first.sw.toString(16)}`);
    if (!equal(first.data.slice(0, 32), sha256(concat(pairingSecret, clientChallenge)))) throw new Error('PAIR: card cryptogram mismatch');
    const second = this.pairStep2(sha256(concat(pairingSecret, first.data.slice(32, 64))));
    if (second.sw !== 0x9000) throw new Error(`PAIR step 2: ${second.sw.toString(16)}`);
    return { index: second.data[0]!, pairingKey: sha256(concat(pairingSecret, second.data.slice(1, 33))) };
  }

  /** OPEN SECURE CHANNEL; on success the host holds the session keys and the first IV. */
  openChannel(pairing: Pairing, hostPrivateKey = this.randomKey()): Answer {
    if (!this.info) throw new Error('SELECT first');
    this.keys = null;
    const answer = this.transmit(apdu(0x80, 0x10, pairing.index, 0x00, secp256k1.getPublicKey(hostPrivateKey, false)));
    if (answer.sw !== 0x9000 || answer.data.length !== 48) return answer;
    this.keys = hostSessionKeys(hostPrivateKey, this.info.publicKey, pairing.pairingKey, answer.data.slice(0, 32));
    this.iv = answer.data.slice(32, 48);
    return answer;
  }

  mutuallyAuthenticate(challenge = this.random(32)): Answer {
    return this.send(0x11, 0, 0, challenge);
  }

  /** SELECT, PAIR, OPEN SECURE CHANNEL, MUTUALLY AUTHENTICATE; answers the pairing. */
  session(pairingSecret: Uint8Array, pairing?: Pairing): Pairing {
    this.select();
    const used = pairing ?? this.pair(pairingSecret);
    const opened = this.openChannel(used);
    if (opened.sw !== 0x9000) throw new Error(`OPEN SECURE CHANNEL: ${opened.sw.toString(16)}`);
    const auth = this.mutuallyAuthenticate();
    if (auth.sw !== 0x9000 || auth.data.length !== 32) throw new Error(`MUTUALLY AUTHENTICATE: ${auth.sw.toString(16)}`);
    return used;
  }

  /**
   * A wrapped command (section 6.3). Answers the inner SW and data. A plain answer (channel gone)
   * drops the host's channel and is answered as is. `tamper` edits the wire bytes before sending.
   */
  send(ins: number, p1: number, p2: number, data: Uint8Array = new Uint8Array(0), cla = 0x80, tamper?: (wire: Uint8Array) => Uint8Array): Answer {
    const keys = this.keys;
    if (!keys) throw new Error('no secure channel');
    const previousIv = this.iv;
    const wrapped = wrapCommand(keys, previousIv, cla, ins, p1, p2, data);
    const outer = this.transmit(tamper ? tamper(wrapped.apdu) : wrapped.apdu);
    this.last = null;
    if (outer.sw !== 0x9000 || outer.data.length < 32) {
      this.keys = null;
      return outer;
    }
    const inner = unwrapResponse(keys, wrapped.mac, previousIv, outer.data);
    if (!inner) throw new Error('response MAC or padding does not verify');
    this.iv = inner.responseMac;
    this.last = inner;
    return { sw: inner.sw, data: inner.data };
  }

  verifyPin(pin: string): Answer {
    return this.send(0x20, 0, 0, ascii(pin));
  }
}

/**
 * Card randomness for known-answer tests: queued chunks are handed out first (each draw must take
 * exactly the next chunk's length), then `fallback` takes over.
 */
export interface ScriptedRandom {
  readonly random: RandomFn;
  push(...chunks: Uint8Array[]): void;
  readonly pending: number;
}

export function scriptedRandom(fallback: RandomFn = seededRandom('scripted fallback')): ScriptedRandom {
  const queue: Uint8Array[] = [];
  return {
    random(length) {
      const next = queue.shift();
      if (!next) return fallback(length);
      if (next.length !== length) throw new Error(`scripted draw of ${next.length} bytes, card asked for ${length}`);
      return next.slice();
    },
    push(...chunks) {
      queue.push(...chunks);
    },
    get pending() {
      return queue.length;
    },
  };
}
