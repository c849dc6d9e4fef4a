/**
 * The Satochip/Seedkeeper secure channel (../shared/protocols/satochip-seedkeeper.md section 3;
 * worked example 3.4 = `primitives.json`).
 *
 * INIT SC (3.1): `B0 81 00 00 41 | host_pub(65)` ->
 *   `0020 | ex(32) | len1 | sig1 | len2 | sig2 [| 0020 | akx(32)]` (the akx tail: Seedkeeper only)
 *   sig1 = card ephemeral key over [0020|ex]; sig2 = card authentikey over [0020|ex|len1|sig1].
 *   shared_x = x(host_priv * E); sc_enc_key = HMAC-SHA1(shared_x, "sc_key")[0..16];
 *   sc_mac_key = HMAC-SHA1(shared_x, "sc_mac").
 * Wrapped command (3.2): `B0 82 00 00 Lc | IV(16) | ctlen(2) | ct | 0014 | mac(20)`,
 *   IV = 12 random bytes | counter (1, 3, 5, ...), ct = AES-128-CBC/PKCS#7 of the whole inner APDU,
 *   mac = HMAC-SHA1(sc_mac_key, IV | ctlen | ct). Inner APDU at most 159 bytes (inner Lc <= 154).
 * Response (3.3): `IV(16) | ctlen(2) | ct` with IV = 12 card bytes | (command counter + 1), no MAC;
 *   a success without data is a bare 9000; errors are a bare status word.
 *
 * Binding (3.1, 5.2): the channel is only as good as the authentikey that signed it. With a pinned
 * authentikey we verify sig2 at once. A Seedkeeper appends akx, so its authentikey is rebuilt from
 * it. A Satochip omits it: we recover the keys that can have made sig2 and let the first authentikey
 * the card shows us later (EXPORT AUTHENTIKEY, GET AUTHENTIKEY, IMPORT SEED, GET EXTENDED KEY)
 * pick one of them (see AuthentikeyBinding).
 */
import { cbc } from '@noble/ciphers/aes.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { type CommandApdu, type ResponseApdu, encodeCommand, SW_OK } from '../pcsc/apdu.ts';
import { ByteReader, bytesEqual, concatBytes, readU32, u16, u32 } from './bytes.ts';
import { pointFromX, recoverSigners, verifySha256Signature } from './card-signatures.ts';
import { SatochipError, errorForStatusWord, invalidArgument } from './errors.ts';

export const INS_INIT_SECURE_CHANNEL = 0x81;
export const INS_PROCESS_SECURE_CHANNEL = 0x82;
/** Section 2 / 14.7: GET STATUS inside the channel is answered in plaintext. */
const INS_GET_STATUS = 0x3c;

/** Section 3.2 / 12: the card's HMAC-SHA1 takes at most 192 bytes, so the inner APDU is at most 159 bytes. */
export const MAX_INNER_APDU_LENGTH = 159;
/** Inner Lc limit that follows (159 - 5 header bytes). */
export const MAX_INNER_DATA_LENGTH = 154;
const IV_LENGTH = 16;
const IV_RANDOM_LENGTH = 12;
const MAC_LENGTH = 20;
const AES_BLOCK = 16;

/** Where the host's random bytes come from; injectable so recorded transcripts replay byte for byte. */
export type RandomSource = (length: number) => Uint8Array;

export interface SecureChannelKeys {
  /** AES-128 key (16 bytes). */
  readonly encKey: Uint8Array;
  /** HMAC-SHA1 key (20 bytes). */
  readonly macKey: Uint8Array;
}

const ASCII = new TextEncoder();

/** Section 3.1: the two channel keys from the ECDH x coordinate. */
export function deriveSecureChannelKeys(sharedX: Uint8Array): SecureChannelKeys {
  return {
    encKey: hmac(sha1, sharedX, ASCII.encode('sc_key')).slice(0, 16),
    macKey: hmac(sha1, sharedX, ASCII.encode('sc_mac')),
  };
}

export function initSecureChannelCommand(hostPublicKey: Uint8Array): CommandApdu {
  return { cla: 0xb0, ins: INS_INIT_SECURE_CHANNEL, p1: 0, p2: 0, data: hostPublicKey, name: 'INIT SECURE CHANNEL' };
}

/** The INIT SC answer, split into the parts each signature covers. */
export interface InitSecureChannelAnswer {
  readonly cardEphemeralX: Uint8Array;
  /** [0020 | ex], signed by the card's ephemeral key (sig1). */
  readonly ephemeralSignedMessage: Uint8Array;
  readonly ephemeralSignature: Uint8Array;
  /** [0020 | ex | len1 | sig1], signed by the authentikey (sig2). */
  readonly authentikeySignedMessage: Uint8Array;
  readonly authentikeySignature: Uint8Array;
  /** Seedkeeper only: x of the authentikey. */
  readonly authentikeyX: Uint8Array | null;
}

export function parseInitSecureChannelAnswer(data: Uint8Array): InitSecureChannelAnswer {
  const reader = new ByteReader(data, 'INIT SECURE CHANNEL');
  const cardEphemeralX = reader.lengthPrefixed('card ephemeral x', 32);
  const ephemeralSignedMessage = reader.consumed();
  const ephemeralSignature = reader.lengthPrefixed('sig1');
  const authentikeySignedMessage = reader.consumed();
  const authentikeySignature = reader.lengthPrefixed('sig2');
  const authentikeyX = reader.remaining > 0 ? reader.lengthPrefixed('authentikey x', 32) : null;
  reader.end();
  return { cardEphemeralX, ephemeralSignedMessage, ephemeralSignature, authentikeySignedMessage, authentikeySignature, authentikeyX };
}

/** Section 3.2: the data field of a PROCESS SC command for one inner APDU under a given IV. */
export function encryptCommand(keys: SecureChannelKeys, iv: Uint8Array, innerApdu: Uint8Array): Uint8Array {
  const ciphertext = cbc(keys.encKey, iv).encrypt(innerApdu);
  const mac = hmac(sha1, keys.macKey, concatBytes(iv, u16(ciphertext.length), ciphertext));
  return concatBytes(iv, u16(ciphertext.length), ciphertext, u16(MAC_LENGTH), mac);
}

/** Section 3.3: the plaintext of an encrypted answer and the IV it came with. */
export function decryptResponse(keys: SecureChannelKeys, data: Uint8Array): { iv: Uint8Array; plaintext: Uint8Array } {
  const reader = new ByteReader(data, 'secure-channel answer');
  const iv = reader.take(IV_LENGTH, 'IV');
  const ciphertext = reader.lengthPrefixed('ciphertext');
  reader.end();
  if (ciphertext.length === 0 || ciphertext.length % AES_BLOCK !== 0) {
    throw channelFailed(`ciphertext length ${ciphertext.length} is not a positive multiple of 16`);
  }
  try {
    return { iv, plaintext: cbc(keys.encKey, iv).decrypt(ciphertext) };
  } catch {
    throw channelFailed('answer does not decrypt (bad padding)');
  }
}

function channelFailed(reason: string): SatochipError {
  return new SatochipError('SECURE_CHANNEL_FAILED', 'secure channel answer rejected', { reason });
}

/** One wrapped command on its way: the outer APDU and what we need to read its answer. */
export interface WrappedCommand {
  readonly apdu: CommandApdu;
  readonly counter: number;
  readonly inner: CommandApdu;
}

/** An open channel: keys and the host IV counter. One per SELECT/power-up (section 1). */
export class SecureChannel {
  private counter = 1;

  constructor(
    private readonly keys: SecureChannelKeys,
    private readonly random: RandomSource,
  ) {}

  /** The IV counter the next command will use (odd, starts at 1, +2 per command). */
  get nextCounter(): number {
    return this.counter;
  }

  /**
   * Moves the counter forward to `next` (odd, not below the current one), e.g. after wrapped
   * commands were sent on this channel by something other than this object.
   */
  resyncCounter(next: number): void {
    if (!Number.isInteger(next) || next % 2 !== 1 || next < this.counter || next > 0xffffffff) {
      throw invalidArgument('counter', `must be odd and at least ${this.counter}`);
    }
    this.counter = next;
  }

  /** Encrypts and MACs one inner command (no Le; section 3.2). Consumes 12 random bytes. */
  wrap(inner: CommandApdu): WrappedCommand {
    if (inner.le !== undefined || inner.extended) throw invalidArgument('command', 'wrapped commands carry no Le and are short');
    const innerApdu = encodeCommand(inner);
    if (innerApdu.length > MAX_INNER_APDU_LENGTH) {
      throw invalidArgument('command', `inner APDU of ${innerApdu.length} bytes; the card takes at most ${MAX_INNER_APDU_LENGTH} (Lc <= ${MAX_INNER_DATA_LENGTH})`);
    }
    if (this.counter > 0xfffffffd) {
      throw new SatochipError('SECURE_CHANNEL_REQUIRED', 'secure channel counter exhausted; open a new channel', {});
    }
    const counter = this.counter;
    const ivRandom = this.random(IV_RANDOM_LENGTH);
    if (!(ivRandom instanceof Uint8Array) || ivRandom.length !== IV_RANDOM_LENGTH) {
      throw invalidArgument('random', `random source gave the wrong number of bytes for the IV`);
    }
    // The counter moves on whether or not the card accepts the command (section 3.2).
    this.counter += 2;
    const iv = concatBytes(ivRandom, u32(counter));
    const data = encryptCommand(this.keys, iv, innerApdu);
    innerApdu.fill(0);
    return {
      counter,
      inner,
      apdu: {
        cla: 0xb0,
        ins: INS_PROCESS_SECURE_CHANNEL,
        p1: 0,
        p2: 0,
        data,
        name: `SC ${inner.name ?? inner.ins.toString(16).padStart(2, '0')}`,
        // The outer bytes are ciphertext, but a log must not even hint at them: mark as the inner.
        sensitive: inner.sensitive,
        sensitiveResponse: inner.sensitiveResponse,
      },
    };
  }

  /**
   * The inner answer's plaintext (section 3.3): empty for a bare 9000, the raw data for GET STATUS
   * (answered in clear, 14.7), else the decrypted data, whose IV must end with counter + 1.
   * Any other status word becomes its SatochipError (section 11) for the inner command.
   */
  unwrap(wrapped: WrappedCommand, response: ResponseApdu): Uint8Array {
    if (response.sw !== SW_OK) throw errorForStatusWord(response.sw, { ins: wrapped.inner.ins, command: wrapped.inner.name });
    if (response.data.length === 0) return new Uint8Array(0);
    if (wrapped.inner.ins === INS_GET_STATUS) return response.data;
    const { iv, plaintext } = decryptResponse(this.keys, response.data);
    const answerCounter = readU32(iv, IV_RANDOM_LENGTH);
    if (answerCounter !== wrapped.counter + 1) {
      throw channelFailed(`answer IV counter ${answerCounter}, expected ${wrapped.counter + 1}`);
    }
    return plaintext;
  }
}

/** What INIT SC established. */
export interface OpenedSecureChannel {
  readonly channel: SecureChannel;
  /** 65 bytes: the card's ephemeral key for this channel. */
  readonly cardEphemeralPublicKey: Uint8Array;
  /** 65 bytes when known: pinned by the caller and verified, or rebuilt from the Seedkeeper's akx. */
  readonly authentikey: Uint8Array | null;
  /** When the authentikey is not known yet: the keys that can have signed this channel (sig2). */
  readonly authentikeyCandidates: readonly Uint8Array[];
}

export type SendApdu = (command: CommandApdu) => Promise<ResponseApdu>;

/**
 * Runs INIT SC (section 3.1) and checks both card signatures. `pinnedAuthentikey` (33 or 65 bytes,
 * already a valid point) binds the channel to a known card: AUTHENTIKEY_MISMATCH when sig2 is not
 * its signature. Consumes 32 random bytes for the host ephemeral key.
 */
export async function openSecureChannel(
  send: SendApdu,
  random: RandomSource,
  pinnedAuthentikey: Uint8Array | null,
): Promise<OpenedSecureChannel> {
  const hostPrivateKey = drawPrivateKey(random);
  const hostPublicKey = secp256k1.getPublicKey(hostPrivateKey, false);
  const command = initSecureChannelCommand(hostPublicKey);
  let sharedX: Uint8Array;
  let answer: InitSecureChannelAnswer;
  let cardEphemeralPublicKey: Uint8Array;
  try {
    const response = await send(command);
    if (response.sw !== SW_OK) throw errorForStatusWord(response.sw, { ins: INS_INIT_SECURE_CHANNEL, command: command.name });
    answer = parseInitSecureChannelAnswer(response.data);
    const ephemeral = pointFromX(answer.cardEphemeralX, answer.ephemeralSignedMessage, answer.ephemeralSignature);
    if (!ephemeral) throw channelFailed('sig1 does not verify with the card ephemeral key (either parity)');
    cardEphemeralPublicKey = ephemeral;
    sharedX = secp256k1.getSharedSecret(hostPrivateKey, cardEphemeralPublicKey, true).slice(1);
  } finally {
    hostPrivateKey.fill(0);
  }

  let authentikey: Uint8Array | null = null;
  let authentikeyCandidates: Uint8Array[] = [];
  if (answer.authentikeyX) {
    authentikey = pointFromX(answer.authentikeyX, answer.authentikeySignedMessage, answer.authentikeySignature);
    if (!authentikey) throw channelFailed('sig2 does not verify with the authentikey the card sent');
    if (pinnedAuthentikey && !bytesEqual(authentikey, pinnedAuthentikey)) {
      throw new SatochipError('AUTHENTIKEY_MISMATCH', 'this is not the card whose authentikey was pinned', {
        reason: 'the authentikey in the INIT SC answer differs from the pinned one',
      });
    }
  } else if (pinnedAuthentikey) {
    if (!verifySha256Signature(pinnedAuthentikey, answer.authentikeySignedMessage, answer.authentikeySignature)) {
      throw new SatochipError('AUTHENTIKEY_MISMATCH', 'this is not the card whose authentikey was pinned', {
        reason: 'sig2 of INIT SC does not verify with the pinned authentikey',
      });
    }
    authentikey = pinnedAuthentikey;
  } else {
    authentikeyCandidates = recoverSigners(answer.authentikeySignedMessage, answer.authentikeySignature);
    if (authentikeyCandidates.length === 0) throw channelFailed('no public key can have made sig2');
  }

  const keys = deriveSecureChannelKeys(sharedX);
  sharedX.fill(0);
  return { channel: new SecureChannel(keys, random), cardEphemeralPublicKey, authentikey, authentikeyCandidates };
}

/** A valid secp256k1 private key from the random source (a bad draw, 2^-128 likely, draws again). */
function drawPrivateKey(random: RandomSource): Uint8Array {
  for (let attempt = 0; attempt < 4; attempt++) {
    const candidate = random(32);
    if (candidate instanceof Uint8Array && candidate.length === 32 && secp256k1.utils.isValidSecretKey(candidate)) {
      return candidate;
    }
  }
  throw invalidArgument('random', 'the random source does not give valid secp256k1 private keys');
}
