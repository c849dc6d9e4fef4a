/**
 * Card side of the Keycard secure channel (../shared/protocols/keycard.md section 6).
 *
 * OPEN SECURE CHANNEL derives the session keys from ECDH(card SC key, host ephemeral key), the
 * pairing key and a fresh salt, and draws the first IV. MUTUALLY AUTHENTICATE (a wrapped command)
 * then marks the session authenticated: only then is the channel "open".
 *
 * The IV chain (6.4): the card keeps one IV. Unwrapping a command checks its MAC (a plain CBC-MAC
 * over `CLA INS P1 P2 Lc || 00 x 11 || CT` with a zero IV), decrypts with the held IV and then holds
 * the command MAC. Wrapping a response encrypts `data || SW` with the held IV, MACs
 * `Lr || 00 x 15 || CT` and then holds the response MAC. A command the applet rejects before reading
 * its payload is never unwrapped, so its error is encrypted with the previous response MAC: the IV
 * quirk of 6.5 falls out of this by itself.
 */
import { concat, equal } from './bytes.ts';
import { aesCbcDecrypt, aesCbcEncrypt, cbcMac, deriveSessionKeys, ecdhX, pad, unpad, type SessionKeys } from './crypto.ts';
import type { RandomFn } from './random.ts';
import { SW, fail } from './status-words.ts';

/** 6.6: plaintext per wrapped APDU, data + SW included for answers. */
export const SC_MAX_PLAIN_LENGTH = 223;

/** MAC input of a command: the 16-byte header block (never transmitted) then the ciphertext. */
export function commandMacInput(cla: number, ins: number, p1: number, p2: number, lc: number, ciphertext: Uint8Array): Uint8Array {
  const header = new Uint8Array(16);
  header.set([cla, ins, p1, p2, lc]);
  return concat(header, ciphertext);
}

/** MAC input of a response: `Lr || 00 x 15 || CT`, Lr = 16 + len(CT) (section 18 item 5). */
export function responseMacInput(ciphertext: Uint8Array): Uint8Array {
  const header = new Uint8Array(16);
  header[0] = (16 + ciphertext.length) & 0xff;
  return concat(header, ciphertext);
}

export class CardSecureChannel {
  private keys: SessionKeys | null = null;
  private iv: Uint8Array = new Uint8Array(16);
  private authenticated = false;

  /** Keys derived and MUTUALLY AUTHENTICATE done: commands must be wrapped. */
  get isOpen(): boolean {
    return this.keys !== null && this.authenticated;
  }

  /** OPEN SECURE CHANNEL done, MUTUALLY AUTHENTICATE not yet. */
  get awaitingAuthentication(): boolean {
    return this.keys !== null && !this.authenticated;
  }

  close(): void {
    this.keys = null;
    this.authenticated = false;
    this.iv = new Uint8Array(16);
  }

  /** 6.1: the caller has validated the pairing slot and the host point. Answers salt (32) || IV (16). */
  open(cardPrivateKey: Uint8Array, hostPublicKey: Uint8Array, pairingKey: Uint8Array, random: RandomFn): Uint8Array {
    this.close();
    const salt = random(32);
    const iv = random(16);
    this.keys = deriveSessionKeys(ecdhX(cardPrivateKey, hostPublicKey), pairingKey, salt);
    this.iv = iv.slice();
    return concat(salt, iv);
  }

  /** MUTUALLY AUTHENTICATE succeeded. */
  authenticate(): void {
    this.authenticated = true;
  }

  /**
   * 6.3 in reverse: checks the MAC and decrypts. `requireOpen` is false only for MUTUALLY
   * AUTHENTICATE. No keys (or not authenticated when required): plain `6985`. A MAC that does not
   * verify, a malformed field or bad padding: the channel is closed and the answer is plain `6982`.
   */
  unwrap(cla: number, ins: number, p1: number, p2: number, lc: number, data: Uint8Array, requireOpen = true): Uint8Array {
    const keys = this.keys;
    if (!keys || (requireOpen && !this.authenticated)) fail(SW.CONDITIONS_NOT_SATISFIED);
    if (data.length < 32 || data.length % 16 !== 0) return this.abort();
    const mac = data.slice(0, 16);
    const ciphertext = data.slice(16);
    if (!equal(mac, cbcMac(keys.macKey, commandMacInput(cla, ins, p1, p2, lc, ciphertext)))) return this.abort();
    const plain = unpad(aesCbcDecrypt(keys.encKey, this.iv, ciphertext));
    this.iv = mac;
    if (!plain) return this.abort();
    return plain;
  }

  /** 6.4: `RMAC || AES-CBC(enc key, held IV, pad(data || SW))` and an outer `9000`. */
  wrap(data: Uint8Array, status: number): Uint8Array {
    const keys = this.keys;
    if (!keys) throw new Error('wrap without session keys');
    const plain = concat(data, Uint8Array.of(status >> 8, status & 0xff));
    const ciphertext = aesCbcEncrypt(keys.encKey, this.iv, pad(plain));
    const mac = cbcMac(keys.macKey, responseMacInput(ciphertext));
    this.iv = mac;
    return concat(mac, ciphertext, Uint8Array.of(0x90, 0x00));
  }

  private abort(): never {
    this.close();
    fail(SW.SECURITY_STATUS_NOT_SATISFIED);
  }
}
