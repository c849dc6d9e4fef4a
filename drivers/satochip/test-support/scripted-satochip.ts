/**
 * Test support: a deliberately tiny Satochip card side for what no transcript records (an xpub needs
 * the parent node, which the recordings never derive) and for fuzzing decrypted answers. It knows
 * SELECT, GET STATUS, INIT SC and, wrapped, VERIFY PIN, EXPORT AUTHENTIKEY, GET EXTENDED KEY,
 * SIGN HASH and SIGN MESSAGE, following sections 3 and 5 of the reference. It is NOT the emulator (that lives in
 * drivers/satochip/emulator); the recorded transcripts stay the authority for the client.
 * `tamperPlain` lets a test rewrite any decrypted answer before it is encrypted.
 */
import { cbc } from '@noble/ciphers/aes.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { HDKey } from '@scure/bip32';
import type { CommandApdu, ResponseApdu } from '../../pcsc/apdu.ts';
import { encodeCommand } from '../../pcsc/apdu.ts';
import { concatBytes, readU32, u16, u32 } from '../bytes.ts';
import { compactSize } from '../card-signatures.ts';
import { type SecureChannelKeys, deriveSecureChannelKeys } from '../secure-channel.ts';

const ok = (data: Uint8Array = new Uint8Array(0)): ResponseApdu => ({ data, sw: 0x9000 });
const sw = (value: number): ResponseApdu => ({ data: new Uint8Array(0), sw: value });
const signDer = (priv: Uint8Array, message: Uint8Array) =>
  secp256k1.sign(sha256(message), priv, { prehash: false, lowS: false, format: 'der' });

export interface ScriptedSatochipOptions {
  readonly authentikeyPrivateKey: Uint8Array;
  readonly seed: Uint8Array;
  readonly pin: string;
  readonly tamperPlain?: (ins: number, plain: Uint8Array) => Uint8Array;
}

export class ScriptedSatochip {
  private keys: SecureChannelKeys | null = null;
  private lastCounter = 0;
  private pinOk = false;
  private current: HDKey | null = null;
  private readonly root: HDKey;
  private messageBuffer: Uint8Array | null = null;
  /** Number of APDUs received. */
  apdus = 0;
  /** Inner (decrypted) commands received, hex. */
  readonly innerCommands: string[] = [];

  constructor(private readonly options: ScriptedSatochipOptions) {
    this.root = HDKey.fromMasterSeed(options.seed);
  }

  get authentikey(): Uint8Array {
    return secp256k1.getPublicKey(this.options.authentikeyPrivateKey, false);
  }

  readonly send = async (command: CommandApdu): Promise<ResponseApdu> => {
    this.apdus += 1;
    const apdu = encodeCommand(command);
    const [cla, ins] = [apdu[0]!, apdu[1]!];
    const data = apdu.length > 5 ? apdu.slice(5, 5 + apdu[4]!) : new Uint8Array(0);
    if (cla === 0x00 && ins === 0xa4) {
      this.keys = null;
      this.pinOk = false;
      return ok();
    }
    if (cla !== 0xb0) return sw(0x6e00);
    if (ins === 0x3c) return ok(Uint8Array.from([0, 12, 0, 6, 5, 3, 1, 1, 0, 1, 1, 1]));
    if (ins === 0x81) return this.initSecureChannel(data);
    if (ins === 0x82) return this.processSecureChannel(data);
    return sw(0x9c20);
  };

  private initSecureChannel(hostPublicKey: Uint8Array): ResponseApdu {
    const ephemeral = secp256k1.utils.randomSecretKey();
    const ex = secp256k1.getPublicKey(ephemeral, true).slice(1);
    const msg1 = concatBytes(u16(32), ex);
    const sig1 = signDer(ephemeral, msg1);
    const msg2 = concatBytes(msg1, u16(sig1.length), sig1);
    const sig2 = signDer(this.options.authentikeyPrivateKey, msg2);
    this.keys = deriveSecureChannelKeys(secp256k1.getSharedSecret(ephemeral, hostPublicKey, true).slice(1));
    this.lastCounter = 0;
    return ok(concatBytes(msg2, u16(sig2.length), sig2));
  }

  private processSecureChannel(data: Uint8Array): ResponseApdu {
    if (!this.keys) return sw(0x9c21);
    const iv = data.slice(0, 16);
    const ctLength = (data[16]! << 8) | data[17]!;
    const ct = data.slice(18, 18 + ctLength);
    const mac = data.slice(20 + ctLength, 40 + ctLength);
    const expected = hmac(sha1, this.keys.macKey, concatBytes(iv, u16(ctLength), ct));
    if (mac.length !== 20 || !mac.every((b, i) => b === expected[i])) return sw(0x9c23);
    const counter = readU32(iv, 12);
    if (counter % 2 !== 1 || counter <= this.lastCounter) return sw(0x9c22);
    this.lastCounter = counter + 1;
    const inner = cbc(this.keys.encKey, iv).decrypt(ct);
    this.innerCommands.push(Buffer.from(inner).toString('hex'));
    const answer = this.handle(inner);
    if (answer.sw !== 0x9000 || answer.data.length === 0) return answer;
    const plain = this.options.tamperPlain ? this.options.tamperPlain(inner[1]!, answer.data) : answer.data;
    const responseIv = concatBytes(randomBytes(12), u32(this.lastCounter));
    const encrypted = cbc(this.keys.encKey, responseIv).encrypt(plain);
    return ok(concatBytes(responseIv, u16(encrypted.length), encrypted));
  }

  private handle(inner: Uint8Array): ResponseApdu {
    const ins = inner[1]!;
    const data = inner.length > 5 ? inner.slice(5, 5 + inner[4]!) : new Uint8Array(0);
    if (ins === 0x42) {
      this.pinOk = new TextDecoder().decode(data) === this.options.pin;
      return this.pinOk ? ok() : sw(0x63c4);
    }
    if (!this.pinOk) return sw(0x9c06);
    if (ins === 0xad) {
      const msg = concatBytes(u16(32), this.authentikey.slice(1, 33));
      const sig = signDer(this.options.authentikeyPrivateKey, msg);
      return ok(concatBytes(msg, u16(sig.length), sig));
    }
    if (ins === 0x6d) {
      const depth = inner[2]!;
      const path = Array.from({ length: depth }, (_, i) => readU32(data, 4 * i));
      let node = this.root;
      for (const index of path) node = node.deriveChild(index);
      this.current = node;
      const msg1 = concatBytes(node.chainCode!, u16(32), node.publicKey!.slice(1));
      const sig1 = signDer(node.privateKey!, msg1);
      const msg2 = concatBytes(msg1, u16(sig1.length), sig1);
      const sig2 = signDer(this.options.authentikeyPrivateKey, msg2);
      return ok(concatBytes(msg2, u16(sig2.length), sig2));
    }
    if (ins === 0x7a) {
      if (!this.current) return sw(0x0002);
      return ok(secp256k1.sign(data.slice(0, 32), this.current.privateKey!, { prehash: false, lowS: false, format: 'der' }));
    }
    if (ins === 0x6e) {
      // Section 5.5: INIT len(4) | UPDATE clen(2) chunk | FINAL clen(2) chunk -> DER over SHA-256(SHA-256(header | msg)).
      const p2 = inner[3]!;
      if (p2 === 0x01) {
        const length = readU32(data, 0);
        this.messageBuffer = concatBytes(new TextEncoder().encode('\x18Bitcoin Signed Message:\n'), compactSize(length));
        return ok();
      }
      if (!this.messageBuffer) return sw(0x9c13);
      const chunkLength = (data[0]! << 8) | data[1]!;
      this.messageBuffer = concatBytes(this.messageBuffer, data.slice(2, 2 + chunkLength));
      if (p2 === 0x02) return ok();
      const digest = sha256(sha256(this.messageBuffer));
      this.messageBuffer = null;
      return ok(secp256k1.sign(digest, this.current!.privateKey!, { prehash: false, lowS: false, format: 'der' }));
    }
    return sw(0x6d00);
  }
}
