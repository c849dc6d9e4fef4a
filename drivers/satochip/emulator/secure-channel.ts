/**
 * Card side of the Satochip/Seedkeeper secure channel (section 3; SATO/SK `InitiateSecureChannel`,
 * `ProcessSecureChannel` and the end of `process`).
 *
 * INIT SC: a fresh ephemeral key e (32 random bytes), shared_x = x(e * host_pub),
 * sc_enc_key = HMAC-SHA1(shared_x, "sc_key")[0..16), sc_mac_key = HMAC-SHA1(shared_x, "sc_mac"),
 * IV counter reset to 0. Answer `0020 | ex | len | sig1 | len | sig2` (+ `0020 | akx` on Seedkeeper).
 *
 * Wrapped command `IV(16) | ctlen(2) | ct | maclen(2) | mac`: checks in the applet's order (lengths
 * 6700, mac length 9C23, HMAC message over 192 bytes 9C1F, MAC 9C23, counter odd and increasing 9C22),
 * then stores counter + 1, draws the 12 random bytes of the *response* IV (even when the inner
 * command will fail), and decrypts without removing the padding.
 */
import { ascii, concat, lv16, u16 } from './bytes.ts';
import { aesCbcDecrypt, aesCbcEncrypt, ecdhX, hmacSha1, pkcs7, publicKeyOf, signMessage, type EcdsaSigner } from './crypto.ts';
import type { RandomSource } from './random.ts';
import { SW, fail, runtimeFault } from './status-words.ts';

/** HmacSha160.java MAXMSGSIZE: the card's HMAC-SHA1 takes at most 192 message bytes (section 3.2). */
const HMAC_MAX_MESSAGE = 192;

export interface ChannelKeys {
  readonly encKey: Uint8Array;
  readonly macKey: Uint8Array;
}

/** Section 3.1 key derivation (primitives.json `secure_channel_kdf`). */
export function deriveChannelKeys(sharedX: Uint8Array): ChannelKeys {
  return { encKey: hmacSha1(sharedX, ascii('sc_key')).slice(0, 16), macKey: hmacSha1(sharedX, ascii('sc_mac')) };
}

/** Section 8: export_enc_key / export_mac_key of the card-to-card channel (ECDH of the two authentikeys). */
export function transferKeys(sharedX: Uint8Array): ChannelKeys {
  return { encKey: hmacSha1(sharedX, ascii('seckey')).slice(0, 16), macKey: hmacSha1(sharedX, ascii('secmac')) };
}

export class CardSecureChannel {
  private keys: ChannelKeys | null = null;
  /** sc_buffer IV: 12 random bytes | 4-byte counter. */
  private readonly iv = new Uint8Array(16);

  get open(): boolean {
    return this.keys !== null;
  }

  /** SELECT and power loss forget the channel (`initialized_secure_channel = false`). */
  close(): void {
    this.keys = null;
  }

  /**
   * INS 81. `data` is the command data as the applet sees it (Lc-announced); the caller checked Lc.
   * `authentikeyX` is appended by the Seedkeeper only (section 14.6).
   */
  initiate(data: Uint8Array, rng: RandomSource, signer: EcdsaSigner, authentikey: Uint8Array, authentikeyX?: Uint8Array): Uint8Array {
    if (data.length < 65) fail(SW.WRONG_LENGTH);
    if (data[0] !== 0x04) fail(SW.INVALID_PARAMETER);
    const ephemeral = rng.bytes(32);
    // An invalid host point fails here (CryptoException), before the old channel keys are replaced.
    this.keys = deriveChannelKeys(ecdhX(ephemeral, data.subarray(0, 65)));
    this.iv.fill(0);
    const first = lv16(publicKeyOf(ephemeral).slice(1, 33));
    const signed1 = concat(first, lv16(signMessage(signer, ephemeral, first)));
    return concat(signed1, lv16(signMessage(signer, authentikey, signed1)), authentikeyX ? lv16(authentikeyX) : new Uint8Array(0));
  }

  /** INS 82: the decrypted inner APDU, padding included. `data` is the full wire data field. */
  unwrap(data: Uint8Array, lc: number, rng: RandomSource): Uint8Array {
    const keys = this.keys;
    if (!keys) fail(SW.SECURE_CHANNEL_UNINITIALIZED);
    const byte = (i: number) => data[i] ?? 0;
    const short = (i: number) => ((byte(i) << 8) | byte(i + 1)) << 16 >> 16;
    if (lc < 18) fail(SW.WRONG_LENGTH);
    const sizeIn = short(16);
    if (sizeIn < 0) runtimeFault();
    if (lc < 16 + 2 + sizeIn + 2) fail(SW.WRONG_LENGTH);
    const sizeMac = short(18 + sizeIn);
    if (sizeMac !== 20) fail(SW.SECURE_CHANNEL_WRONG_MAC);
    if (lc < 16 + 2 + sizeIn + 2 + sizeMac) fail(SW.WRONG_LENGTH);
    const macInput = data.subarray(0, 18 + sizeIn);
    if (macInput.length > HMAC_MAX_MESSAGE) fail(SW.HMAC_UNSUPPORTED_MSGSIZE);
    const mac = hmacSha1(keys.macKey, macInput);
    const given = data.subarray(20 + sizeIn, 40 + sizeIn);
    if (!mac.every((v, i) => v === given[i])) fail(SW.SECURE_CHANNEL_WRONG_MAC);
    if ((byte(15) & 0x01) === 0) fail(SW.SECURE_CHANNEL_WRONG_IV);
    const received = ((byte(12) << 24) | (byte(13) << 16) | (byte(14) << 8) | byte(15)) >>> 0;
    const stored = ((this.iv[12]! << 24) | (this.iv[13]! << 16) | (this.iv[14]! << 8) | this.iv[15]!) >>> 0;
    if (!(stored < received)) fail(SW.SECURE_CHANNEL_WRONG_IV);
    const next = (received + 1) >>> 0;
    this.iv.set([(next >>> 24) & 0xff, (next >>> 16) & 0xff, (next >>> 8) & 0xff, next & 0xff], 12);
    this.iv.set(rng.bytes(12), 0);
    return aesCbcDecrypt(keys.encKey, data.subarray(0, 16), data.subarray(18, 18 + sizeIn));
  }

  /** Section 3.3: `IV | ctlen | AES-CBC(PKCS#7(data))`, IV = the random bytes drawn at unwrap | counter + 1. */
  wrap(plain: Uint8Array): Uint8Array {
    const keys = this.keys;
    if (!keys) fail(SW.SECURE_CHANNEL_UNINITIALIZED);
    const ct = aesCbcEncrypt(keys.encKey, this.iv, pkcs7(plain));
    return concat(this.iv, u16(ct.length), ct);
  }
}
