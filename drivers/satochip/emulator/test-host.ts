/**
 * Test support: a minimal host side for driving the emulators in unit tests (SELECT, INIT SC,
 * wrapped commands, decrypted answers). Written here from the protocol reference, on purpose
 * independent of the app's client (drivers/satochip/client.ts), so that each can check the other.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import type { CardEmulator } from '../../virtual/emulator.ts';
import { concat, equal, fromHex, hex, u16 } from './bytes.ts';
import { aesCbcDecrypt, aesCbcEncrypt, ecdhX, hmacSha1, pkcs7, sha256 } from './crypto.ts';
import { deriveChannelKeys, type ChannelKeys } from './secure-channel.ts';

export interface Answer {
  readonly sw: number;
  readonly data: Uint8Array;
}

export function split(response: Uint8Array): Answer {
  return { sw: (response[response.length - 2]! << 8) | response[response.length - 1]!, data: response.slice(0, -2) };
}

export function apdu(cla: number, ins: number, p1: number, p2: number, data?: Uint8Array): Uint8Array {
  return data && data.length ? concat(Uint8Array.of(cla, ins, p1, p2, data.length), data) : Uint8Array.of(cla, ins, p1, p2);
}

export class TestHost {
  keys: ChannelKeys | null = null;
  counter = 1;
  /** The card's authentikey as learnt from INIT SC (Seedkeeper) or verified against. */
  cardEphemeral: Uint8Array | null = null;

  constructor(readonly card: CardEmulator) {}

  raw(command: Uint8Array | string): Answer {
    const bytes = typeof command === 'string' ? fromHex(command) : command;
    return split(this.card.process(bytes) as Uint8Array);
  }

  select(aid: Uint8Array): Answer {
    this.keys = null;
    return this.raw(apdu(0x00, 0xa4, 0x04, 0x00, aid));
  }

  /** INIT SC with a fresh host key; checks sig1 and answers the card's response fields. */
  openChannel(hostPrivate: Uint8Array = secp256k1.utils.randomSecretKey()): Answer {
    const answer = this.raw(apdu(0xb0, 0x81, 0, 0, secp256k1.getPublicKey(hostPrivate, false)));
    if (answer.sw !== 0x9000) return answer;
    const x = answer.data.slice(2, 34);
    const sigLen = (answer.data[34]! << 8) | answer.data[35]!;
    const sig1 = answer.data.slice(36, 36 + sigLen);
    for (const prefix of [2, 3]) {
      const candidate = concat(Uint8Array.of(prefix), x);
      if (secp256k1.verify(sig1, sha256(answer.data.slice(0, 34)), candidate, { prehash: false, lowS: false, format: 'der' })) {
        this.cardEphemeral = candidate;
      }
    }
    if (!this.cardEphemeral) throw new Error('INIT SC sig1 does not verify');
    this.keys = deriveChannelKeys(ecdhX(hostPrivate, this.cardEphemeral));
    this.counter = 1;
    return answer;
  }

  /** Wraps an inner APDU (section 3.2). `tamper` edits the wire bytes before sending. */
  wrap(inner: Uint8Array, counter = this.counter, tamper?: (wire: Uint8Array) => Uint8Array): Uint8Array {
    const keys = this.keys;
    if (!keys) throw new Error('no channel');
    const counterBytes = Uint8Array.of(counter >>> 24, (counter >> 16) & 0xff, (counter >> 8) & 0xff, counter & 0xff);
    const iv = concat(secp256k1.utils.randomSecretKey().slice(0, 12), counterBytes);
    const ct = aesCbcEncrypt(keys.encKey, iv, pkcs7(inner));
    const macInput = concat(iv, u16(ct.length), ct);
    const wire = apdu(0xb0, 0x82, 0, 0, concat(macInput, u16(20), hmacSha1(keys.macKey, macInput)));
    return tamper ? tamper(wire) : wire;
  }

  /** Sends an inner command through the channel; answers its status word and decrypted data. */
  send(cla: number, ins: number, p1: number, p2: number, data?: Uint8Array): Answer {
    return this.sendInner(apdu(cla, ins, p1, p2, data));
  }

  sendInner(inner: Uint8Array, tamper?: (wire: Uint8Array) => Uint8Array): Answer {
    const counter = this.counter;
    this.counter += 2;
    const answer = this.raw(this.wrap(inner, counter, tamper));
    if (answer.sw !== 0x9000 || answer.data.length === 0) return answer;
    return { sw: answer.sw, data: this.decrypt(answer.data, counter + 1) };
  }

  decrypt(body: Uint8Array, expectedCounter?: number): Uint8Array {
    const keys = this.keys!;
    const iv = body.slice(0, 16);
    if (expectedCounter !== undefined && !equal(iv.slice(12), Uint8Array.of(0, 0, expectedCounter >> 8, expectedCounter & 0xff))) {
      // Plaintext answers inside the channel (GET STATUS) are not encrypted.
      return body;
    }
    const size = (body[16]! << 8) | body[17]!;
    const padded = aesCbcDecrypt(keys.encKey, iv, body.slice(18, 18 + size));
    return padded.slice(0, padded.length - padded[padded.length - 1]!);
  }
}

/** The SETUP data of section 4.1 (reference apps: random 16-byte PIN1/PUK1, 1 try each). */
export interface SetupOptions {
  readonly pinTries?: number;
  readonly pukTries?: number;
  readonly slots?: number;
  readonly twoFactor?: { readonly key: Uint8Array; readonly limit: Uint8Array };
}

export function setupData(pin: string, puk: string, options: SetupOptions = {}): Uint8Array {
  const enc = (s: string) => new TextEncoder().encode(s);
  const lp = (b: Uint8Array) => concat(Uint8Array.of(b.length), b);
  const legacy = new Uint8Array(16).fill(0x55);
  return concat(
    lp(enc('Muscle00')),
    Uint8Array.of(options.pinTries ?? 5, options.pukTries ?? 3),
    lp(enc(pin)),
    lp(enc(puk)),
    Uint8Array.of(1, 1),
    lp(legacy),
    lp(legacy),
    u16(options.slots ?? 32),
    fromHex('0000010101'),
    options.twoFactor ? concat(fromHex('8000'), options.twoFactor.key, options.twoFactor.limit) : new Uint8Array(0),
  );
}

export { hex };
