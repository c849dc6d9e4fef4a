/**
 * The Keycard 3.1 pairing and secure channel, host side (../shared/protocols/keycard.md sections 5-6;
 * known answers in ../shared/vectors/keycard/primitives.json `pairing_secret_from_password`,
 * `pairing`, `secure_channel_keys`, `wrapped_apdus`, `padding_examples`).
 *
 * Pairing (5): secret = PBKDF2-HMAC-SHA256(password NFKD, "Keycard Pairing Password Salt", 50 000, 32);
 *   card cryptogram = SHA-256(secret || client challenge), client cryptogram = SHA-256(secret || card
 *   challenge), pairing key = SHA-256(secret || salt).
 * Session (6.1): K = SHA-512(ECDH-X(host ephemeral, card SC key) || pairing key || salt);
 *   enc key = K[0..31], MAC key = K[32..63]; first IV from OPEN SECURE CHANNEL.
 * Command (6.3): CT = AES-256-CBC(enc, IV, M2pad(data)); Lc = 16 + |CT|;
 *   MAC = last block of AES-256-CBC(mac, 0, CLA INS P1 P2 Lc 00x11 || CT); data = MAC || CT; IV := MAC.
 * Response (6.4): RMAC || RCT with outer 9000; RMAC = last block of AES-CBC(mac, 0, Lr 00x15 || RCT),
 *   Lr = 16 + |RCT|; plaintext = unpad(AES-CBC-decrypt(enc, command MAC, RCT)) = data || inner SW; IV := RMAC.
 * IV quirk (6.5): an error the card raises before reading the payload is encrypted under the IV it
 *   held before the command (the IV this command was encrypted with). We decrypt with the command MAC
 *   first and fall back to that IV when the padding or the status word does not make sense.
 *
 * A session is single-use on failure: any error while unwrapping (plain status word, short or
 * misaligned data, MAC mismatch, undecryptable answer) marks it failed, and the client drops it.
 */
import { cbc } from '@noble/ciphers/aes.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { pbkdf2 } from '@noble/hashes/pbkdf2.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import type { CommandApdu, ResponseApdu } from '../pcsc/apdu.ts';
import { SW_OK, swHex } from '../pcsc/apdu.ts';
import { ascii, bytesEqual, concat, isBytes } from './bytes.ts';
import { KeycardError, keycardBadResponse, keycardInvalidArgument, keycardStatusWordMeaning } from './errors.ts';

/** Sends one APDU and returns the card's answer (ApduTransport.send, CardSession.send, a replay). */
export type SendApdu = (command: CommandApdu) => Promise<ResponseApdu>;
/** Host randomness; injectable so recorded transcripts replay byte for byte. Must return a fresh array. */
export type RandomSource = (length: number) => Uint8Array;

/** Section 5: the factory pairing password. */
export const DEFAULT_PAIRING_PASSWORD = 'KeycardDefaultPairing';
export const PAIRING_PASSWORD_SALT = 'Keycard Pairing Password Salt';
export const PAIRING_PASSWORD_ITERATIONS = 50_000;
/** Section 6.6: plaintext per wrapped command (wire data 240 = 16 MAC + 224 ciphertext). */
export const SC_MAX_PLAIN_LENGTH = 223;
const BLOCK = 16;
const ZERO_IV = new Uint8Array(BLOCK);

/** Section 5: the 32-byte pairing secret the card stores, from the pairing password. */
export function pairingSecretFromPassword(password: string): Uint8Array {
  if (typeof password !== 'string') throw keycardInvalidArgument('password', 'must be a string');
  return pbkdf2(sha256, ascii(password.normalize('NFKD')), ascii(PAIRING_PASSWORD_SALT), { c: PAIRING_PASSWORD_ITERATIONS, dkLen: 32 });
}

/** Section 5: SHA-256(secret || challenge): the card's cryptogram (PAIR step 1) and ours (step 2). */
export function pairingCryptogram(secret: Uint8Array, challenge: Uint8Array): Uint8Array {
  return sha256(concat(secret, challenge));
}

/** Section 5: pairing key = SHA-256(secret || salt from PAIR step 2). */
export function pairingKeyFrom(secret: Uint8Array, salt: Uint8Array): Uint8Array {
  return sha256(concat(secret, salt));
}

/** A fresh secp256k1 key pair from the random source (redrawn in the negligible case the bytes are not a valid scalar). */
export function ephemeralKeyPair(random: RandomSource): { privateKey: Uint8Array; publicKey: Uint8Array } {
  for (let attempt = 0; attempt < 8; attempt++) {
    const privateKey = random(32);
    if (isBytes(privateKey, 32) && secp256k1.utils.isValidSecretKey(privateKey)) {
      return { privateKey, publicKey: secp256k1.getPublicKey(privateKey, false) };
    }
  }
  throw keycardInvalidArgument('random', 'the random source gave no valid secp256k1 private key in 8 draws');
}

/** Raw ECDH: the 32-byte X coordinate of priv x pub (no KDF). BAD_RESPONSE when the card's point is not on the curve. */
export function ecdhSharedX(privateKey: Uint8Array, publicKey: Uint8Array, command?: string): Uint8Array {
  try {
    return secp256k1.getSharedSecret(privateKey, publicKey, true).slice(1);
  } catch {
    throw keycardBadResponse('the card public key is not a valid secp256k1 point', command);
  }
}

export interface SessionKeys {
  /** AES-256 encryption key. */
  readonly encKey: Uint8Array;
  /** AES-256 CBC-MAC key. */
  readonly macKey: Uint8Array;
}

/** Section 6.1: K = SHA-512(shared X || pairing key || salt), split in two. */
export function deriveSessionKeys(sharedX: Uint8Array, pairingKey: Uint8Array, salt: Uint8Array): SessionKeys {
  const k = sha512(concat(sharedX, pairingKey, salt));
  return { encKey: k.slice(0, 32), macKey: k.slice(32, 64) };
}

/** ISO/IEC 9797-1 method 2: always `80`, then zeros to a multiple of 16. */
export function padIso9797M2(data: Uint8Array): Uint8Array {
  const out = new Uint8Array((Math.floor(data.length / BLOCK) + 1) * BLOCK);
  out.set(data, 0);
  out[data.length] = 0x80;
  return out;
}

/** Removes method-2 padding; null when there is none (the last non-zero byte is not `80` within the last block). */
export function unpadIso9797M2(padded: Uint8Array): Uint8Array | null {
  let i = padded.length - 1;
  while (i >= 0 && padded.length - i <= BLOCK && padded[i] === 0) i--;
  if (i < 0 || padded.length - i > BLOCK || padded[i] !== 0x80) return null;
  return padded.slice(0, i);
}

function cbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  return cbc(key, iv, { disablePadding: true }).encrypt(data);
}

function cbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  return cbc(key, iv, { disablePadding: true }).decrypt(data);
}

/** Plain CBC-MAC (zero IV, last block), section 6.3 step 4 and 6.4 step 2. */
export function cbcMac(macKey: Uint8Array, input: Uint8Array): Uint8Array {
  return cbcEncrypt(macKey, ZERO_IV, input).slice(-BLOCK);
}

/** Section 6.3: MAC of a wrapped command (header CLA INS P1 P2 Lc, 11 zero bytes, ciphertext). */
export function commandMac(macKey: Uint8Array, header: { cla: number; ins: number; p1: number; p2: number }, ciphertext: Uint8Array): Uint8Array {
  const block = new Uint8Array(BLOCK);
  block.set([header.cla, header.ins, header.p1, header.p2, BLOCK + ciphertext.length]);
  return cbcMac(macKey, concat(block, ciphertext));
}

/** Section 6.4: MAC of a wrapped response (Lr, 15 zero bytes, ciphertext). */
export function responseMac(macKey: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const block = new Uint8Array(BLOCK);
  block[0] = BLOCK + ciphertext.length;
  return cbcMac(macKey, concat(block, ciphertext));
}

/** Section 6.3: the wire data field (MAC || CT) of one command under `iv`. */
export function encryptCommand(keys: SessionKeys, iv: Uint8Array, header: { cla: number; ins: number; p1: number; p2: number }, data: Uint8Array): { mac: Uint8Array; ciphertext: Uint8Array; wire: Uint8Array } {
  const ciphertext = cbcEncrypt(keys.encKey, iv, padIso9797M2(data));
  const mac = commandMac(keys.macKey, header, ciphertext);
  return { mac, ciphertext, wire: concat(mac, ciphertext) };
}

/** Section 6.4 step 3 under one IV: data || inner SW, or null when the padding or the length does not fit. */
export function decryptResponse(keys: SessionKeys, iv: Uint8Array, ciphertext: Uint8Array): { data: Uint8Array; sw: number } | null {
  const plain = unpadIso9797M2(cbcDecrypt(keys.encKey, iv, ciphertext));
  if (!plain || plain.length < 2) return null;
  const n = plain.length;
  return { data: plain.slice(0, n - 2), sw: (plain[n - 2]! << 8) | plain[n - 1]! };
}

/** A status word the applet can send (9000, 61xx..6Fxx); used to tell the two IV candidates apart. */
function plausibleStatusWord(sw: number): boolean {
  const sw1 = sw >> 8;
  return sw === SW_OK || (sw1 >= 0x61 && sw1 <= 0x6f);
}

export function secureChannelFailed(reason: string, extra: { sw?: string; command?: string } = {}): KeycardError {
  return new KeycardError('SECURE_CHANNEL_FAILED', 'the secure channel broke; it is closed', { reason, ...extra });
}

/** The answer to one wrapped command: the inner data and the inner status word. */
export interface UnwrappedResponse {
  readonly data: Uint8Array;
  readonly sw: number;
  /** True when the card encrypted it under the pre-command IV (section 6.5 quirk). */
  readonly previousIv: boolean;
}

/**
 * One open session's keys and IV chain. `wrap` then `unwrap`, strictly alternating. Once a step
 * fails the session is `failed` and refuses further use (the caller drops it).
 */
export class SecureChannelSession {
  private readonly keys: SessionKeys;
  private iv: Uint8Array;
  /** The IV the pending command was encrypted with (the card's IV before it), for the 6.5 quirk. */
  private ivBeforeCommand: Uint8Array | null = null;
  private failedReason: string | null = null;

  constructor(keys: SessionKeys, firstIv: Uint8Array) {
    if (!isBytes(firstIv, BLOCK)) throw keycardBadResponse('OPEN SECURE CHANNEL IV is not 16 bytes', 'OPEN SECURE CHANNEL');
    this.keys = keys;
    this.iv = Uint8Array.from(firstIv);
  }

  /** The IV the next command will be encrypted with. */
  get currentIv(): Uint8Array {
    return Uint8Array.from(this.iv);
  }

  get failed(): boolean {
    return this.failedReason !== null;
  }

  /**
   * The wrapped APDU for `command` (its data is encrypted; header kept; name prefixed "SC ").
   * INVALID_ARGUMENT (session untouched) when the plaintext exceeds 223 bytes.
   */
  wrap(command: CommandApdu): CommandApdu {
    this.assertUsable();
    if (this.ivBeforeCommand) throw secureChannelFailed('a wrapped command is still waiting for its answer');
    const data = command.data ?? new Uint8Array(0);
    if (data.length > SC_MAX_PLAIN_LENGTH) throw keycardInvalidArgument('data', `${data.length} bytes; a wrapped command carries at most ${SC_MAX_PLAIN_LENGTH}`);
    const { mac, wire } = encryptCommand(this.keys, this.iv, command, data);
    this.ivBeforeCommand = this.iv;
    this.iv = mac;
    const wrapped: CommandApdu = { cla: command.cla, ins: command.ins, p1: command.p1, p2: command.p2, data: wire, name: `SC ${command.name ?? 'COMMAND'}` };
    return {
      ...wrapped,
      ...(command.sensitive ? { sensitive: true } : {}),
      ...(command.sensitiveResponse ? { sensitiveResponse: true } : {}),
    };
  }

  /** Section 6.4/6.5: checks and decrypts the answer to the last wrapped command. Throws (and fails the session) on anything else. */
  unwrap(response: ResponseApdu, command?: string): UnwrappedResponse {
    this.assertUsable();
    const ivBefore = this.ivBeforeCommand;
    this.ivBeforeCommand = null;
    if (!ivBefore) return this.fail(secureChannelFailed('no wrapped command is waiting for an answer', { command }));
    if (response.sw !== SW_OK) {
      const sw = swHex(response.sw);
      if (response.sw === 0x6985) {
        return this.fail(new KeycardError('SECURE_CHANNEL_REQUIRED', 'the card has no secure channel open (plain 6985)', { sw, command, meaning: keycardStatusWordMeaning(response.sw) }));
      }
      return this.fail(secureChannelFailed(`the card answered a plain status word (${keycardStatusWordMeaning(response.sw)})`, { sw, command }));
    }
    const data = response.data;
    if (data.length < 2 * BLOCK || data.length % BLOCK !== 0 || data.length > 255) {
      return this.fail(secureChannelFailed(`wrapped answer of ${data.length} bytes (needs 16-byte MAC + whole blocks)`, { command }));
    }
    const rmac = data.slice(0, BLOCK);
    const ciphertext = data.slice(BLOCK);
    if (!bytesEqual(rmac, responseMac(this.keys.macKey, ciphertext))) {
      return this.fail(secureChannelFailed('the answer MAC does not verify', { command }));
    }
    let result: UnwrappedResponse | null = null;
    const first = decryptResponse(this.keys, this.iv, ciphertext);
    if (first && plausibleStatusWord(first.sw)) result = { ...first, previousIv: false };
    else {
      const second = decryptResponse(this.keys, ivBefore, ciphertext);
      if (second && plausibleStatusWord(second.sw)) result = { ...second, previousIv: true };
      else if (first) result = { ...first, previousIv: false };
    }
    if (!result) return this.fail(secureChannelFailed('the answer does not decrypt under either IV (bad padding)', { command }));
    this.iv = rmac;
    return result;
  }

  /** Marks the session unusable (the client calls it when it abandons the channel). */
  close(reason = 'closed'): void {
    if (!this.failedReason) this.failedReason = reason;
  }

  private assertUsable(): void {
    if (this.failedReason) throw secureChannelFailed(`this session is closed (${this.failedReason})`);
  }

  private fail(error: KeycardError): never {
    this.failedReason = error.info.reason ?? error.code;
    throw error;
  }
}
