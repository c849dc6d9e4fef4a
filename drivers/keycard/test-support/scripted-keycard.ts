/**
 * Test support: a deliberately small scripted Keycard (card side) for the APDU-count and property
 * tests of the HOST client. It speaks just enough of ../shared/protocols/keycard.md for a wallet
 * session: SELECT (initialised, key loaded), PAIR, OPEN SECURE CHANNEL, MUTUALLY AUTHENTICATE,
 * VERIFY PIN, GET STATUS, EXPORT KEY (P1=01, P2=01/02), SIGN (P1=01), IDENT (no certificate: 6985
 * is fine for counting) and wraps answers as section 6.4 says. It is not the emulator
 * (drivers/keycard/emulator), it does no access control beyond the channel, and it reuses the host
 * primitives, so it proves nothing about them: the replay tests do that.
 *
 * `answerHook(inner, wrap, valid)` lets a property test replace any answer once the channel is open:
 * return a wire answer, or `wrap(plaintext)` to encrypt any plaintext correctly under the channel
 * (`valid()` is what the card would have answered).
 */
import { cbc } from '@noble/ciphers/aes.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { HDKey } from '@scure/bip32';
import { type CommandApdu, type ResponseApdu, SW_OK } from '../../pcsc/apdu.ts';
import { bytesEqual, concat } from '../bytes.ts';
import { KEYCARD_INSTANCE_AID } from '../identify.ts';
import { decodePath } from '../paths.ts';
import { commandMac, deriveSessionKeys, ecdhSharedX, padIso9797M2, pairingCryptogram, pairingKeyFrom, responseMac, unpadIso9797M2 } from '../secure-channel.ts';
import { encodeTlv } from '../tlv.ts';

const sw = (value: number): ResponseApdu => ({ data: new Uint8Array(0), sw: value });

/** Deterministic bytes from a label (the card's "randomness"). */
export function labelBytes(label: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i * 32 < length; i++) out.set(sha256(new TextEncoder().encode(`${label}/${i}`)).slice(0, Math.min(32, length - i * 32)), i * 32);
  return out;
}

/** `valid()` is the plaintext (data || SW) the card would have answered. */
export type AnswerHook = (inner: CommandApdu, wrap: (plaintext: Uint8Array) => ResponseApdu, valid: () => Uint8Array) => ResponseApdu | null;

export class ScriptedKeycard {
  readonly pin = '123456';
  private readonly pairingSecret: Uint8Array;
  private readonly scPrivateKey = labelBytes('scripted/sc-key', 32);
  private readonly scPublicKey = secp256k1.getPublicKey(this.scPrivateKey, false);
  private readonly master: HDKey;
  private readonly pairings: (Uint8Array | null)[] = [null, null, null, null, null];
  private counter = 0;
  private pendingPair: { challenge: Uint8Array } | null = null;
  private session: { encKey: Uint8Array; macKey: Uint8Array; iv: Uint8Array; authenticated: boolean } | null = null;
  private pinVerified = false;
  /** Every command received (plain view of wrapped ones), for counting. */
  readonly log: string[] = [];
  answerHook: AnswerHook | null = null;

  constructor(pairingSecret: Uint8Array, seed: Uint8Array) {
    this.pairingSecret = pairingSecret;
    this.master = HDKey.fromMasterSeed(seed);
  }

  private random(length: number): Uint8Array {
    this.counter += 1;
    return labelBytes(`scripted/random/${this.counter}`, length);
  }

  readonly send = async (command: CommandApdu): Promise<ResponseApdu> => this.process(command);

  process(command: CommandApdu): ResponseApdu {
    const data = command.data ?? new Uint8Array(0);
    if (command.ins === 0xa4) {
      this.log.push('SELECT');
      this.session = null;
      this.pinVerified = false;
      if (!bytesEqual(data, KEYCARD_INSTANCE_AID)) return sw(0x6a82);
      const masterPub = secp256k1.Point.fromBytes(this.master.publicKey!).toBytes(false);
      const info = concat(
        encodeTlv(0x8f, labelBytes('scripted/uid', 16)),
        encodeTlv(0x80, this.scPublicKey),
        encodeTlv(0x02, Uint8Array.of(3, 1)),
        encodeTlv(0x02, Uint8Array.of(this.pairings.filter((p) => p === null).length)),
        encodeTlv(0x8e, sha256(masterPub)),
        encodeTlv(0x8d, Uint8Array.of(0x1f)),
      );
      return { data: encodeTlv(0xa4, info), sw: SW_OK };
    }
    if (command.ins === 0x12) return this.pair(command.p1, data);
    if (command.ins === 0x10) return this.openSecureChannel(command.p1, data);
    if (command.ins === 0xfd) return sw(0x9000);
    if (!this.session) {
      this.log.push(`PLAIN ${command.ins.toString(16)}`);
      return sw(0x6985); // no channel (IDENT without a certificate answers the same)
    }
    return this.wrapped(command, data);
  }

  private pair(p1: number, data: Uint8Array): ResponseApdu {
    this.log.push(`PAIR ${p1}`);
    this.session = null;
    if (data.length !== 32) return sw(0x6a80);
    if (p1 === 0) {
      const challenge = this.random(32);
      this.pendingPair = { challenge };
      return { data: concat(pairingCryptogram(this.pairingSecret, data), challenge), sw: SW_OK };
    }
    const pending = this.pendingPair;
    this.pendingPair = null;
    if (!pending) return sw(0x6a86);
    if (!bytesEqual(data, pairingCryptogram(this.pairingSecret, pending.challenge))) return sw(0x6982);
    const index = this.pairings.indexOf(null);
    if (index < 0) return sw(0x6a84);
    const salt = this.random(32);
    this.pairings[index] = pairingKeyFrom(this.pairingSecret, salt);
    return { data: concat(Uint8Array.of(index), salt), sw: SW_OK };
  }

  private openSecureChannel(index: number, data: Uint8Array): ResponseApdu {
    this.log.push('OPEN SECURE CHANNEL');
    this.session = null;
    const key = this.pairings[index];
    if (index > 4 || !key) return sw(0x6a86);
    const salt = this.random(32);
    const iv = this.random(16);
    const keys = deriveSessionKeys(ecdhSharedX(this.scPrivateKey, data), key, salt);
    this.session = { ...keys, iv, authenticated: false };
    return { data: concat(salt, iv), sw: SW_OK };
  }

  private wrapped(command: CommandApdu, data: Uint8Array): ResponseApdu {
    const session = this.session!;
    const mac = data.slice(0, 16);
    const ciphertext = data.slice(16);
    if (data.length < 32 || !bytesEqual(mac, commandMac(session.macKey, command, ciphertext))) {
      this.log.push('MAC FAILURE');
      this.session = null;
      return sw(0x6982);
    }
    const plain = unpadIso9797M2(cbc(session.encKey, session.iv, { disablePadding: true }).decrypt(ciphertext));
    session.iv = mac;
    const inner: CommandApdu = { cla: command.cla, ins: command.ins, p1: command.p1, p2: command.p2, data: plain ?? new Uint8Array(0) };
    const wrap = (plaintext: Uint8Array): ResponseApdu => {
      const ct = cbc(session.encKey, session.iv, { disablePadding: true }).encrypt(padIso9797M2(plaintext));
      const rmac = responseMac(session.macKey, ct);
      session.iv = rmac;
      return { data: concat(rmac, ct), sw: SW_OK };
    };
    const valid = (): Uint8Array => {
      const [answer, status] = this.execute(inner);
      return concat(answer, Uint8Array.of(status >> 8, status & 0xff));
    };
    const hooked = session.authenticated && this.answerHook ? this.answerHook(inner, wrap, valid) : null;
    return hooked ?? wrap(valid());
  }

  private execute(inner: CommandApdu): [Uint8Array, number] {
    const none = new Uint8Array(0);
    const data = inner.data!;
    const session = this.session!;
    const names: Record<number, string> = { 0x11: 'MUTUALLY AUTHENTICATE', 0x20: 'VERIFY PIN', 0xf2: 'GET STATUS', 0xc2: 'EXPORT KEY', 0xc0: 'SIGN', 0x14: 'IDENT' };
    this.log.push(`SC ${names[inner.ins] ?? inner.ins.toString(16)}`);
    if (inner.ins === 0x11) {
      if (session.authenticated) return [none, 0x6985];
      session.authenticated = true;
      return [this.random(32), SW_OK];
    }
    if (!session.authenticated) return [none, 0x6985];
    switch (inner.ins) {
      case 0x20:
        if (new TextDecoder().decode(data) !== this.pin) return [none, 0x63c2];
        this.pinVerified = true;
        return [none, SW_OK];
      case 0xf2:
        return [Uint8Array.from([0xa3, 9, 2, 1, 3, 2, 1, 5, 1, 1, 0xff]), SW_OK];
      case 0x14:
        return [none, 0x6985];
      case 0xc2: {
        const node = this.node(data);
        if (!node || !this.pinVerified) return [none, 0x6985];
        const pub = encodeTlv(0x80, secp256k1.Point.fromBytes(node.publicKey!).toBytes(false));
        return [encodeTlv(0xa1, inner.p2 === 2 ? concat(pub, encodeTlv(0x82, node.chainCode!)) : pub), SW_OK];
      }
      case 0xc0: {
        const node = this.node(data.slice(32));
        if (!node || !this.pinVerified || data.length < 32) return [none, 0x6985];
        const der = secp256k1.sign(data.slice(0, 32), node.privateKey!, { prehash: false, format: 'der' });
        const pub = encodeTlv(0x80, secp256k1.Point.fromBytes(node.publicKey!).toBytes(false));
        return [encodeTlv(0xa0, concat(pub, der)), SW_OK];
      }
      default:
        return [none, 0x6d00];
    }
  }

  private node(pathBytes: Uint8Array): HDKey | null {
    const path = decodePath(pathBytes);
    if (!path) return null;
    return path.reduce((node, index) => node.deriveChild(index), this.master);
  }
}
