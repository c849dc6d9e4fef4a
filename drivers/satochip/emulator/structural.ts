/**
 * Test support: compares an emulator answer with a recorded answer when the two cannot be equal
 * byte for byte because a signature differs (random nonces on the real card, or a card whose private
 * authentikey the vectors do not give). The answer is decrypted with the channel keys, every field
 * that does not depend on the signature must be equal to the recorded one, and every signature must
 * verify, with the right key, over the message the protocol says (sections 3.1, 5.1 - 5.5, 6.1, 7.2, 9).
 * Wrapped answers without signatures must still be equal byte for byte.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ascii, concat, equal, hex } from './bytes.ts';
import { aesCbcDecrypt, ecdhX, publicKeyOf, sha256 } from './crypto.ts';
import { deriveChannelKeys, type ChannelKeys } from './secure-channel.ts';

export interface LiveContext {
  /** The emulator's authentikey (65 bytes). */
  readonly authentikey: Uint8Array;
  readonly seedkeeper: boolean;
  /** Host ephemeral private key of the next INIT SC. */
  hostPrivate?: Uint8Array;
  keys?: ChannelKeys;
  /** Public key of the last derived key (Satochip 6D), for 7A / 6E. */
  currentPublic?: Uint8Array;
  message?: Uint8Array;
  exportSigned?: Uint8Array[];
}

const verify = (sig: Uint8Array, digest: Uint8Array, pub: Uint8Array) => {
  try {
    return secp256k1.verify(sig, digest, pub, { prehash: false, lowS: false, format: 'der' });
  } catch {
    return false;
  }
};

/** The point with this x whose key verifies `sig` over SHA-256(message) (primitives.json pubkey_from_x). */
function liftX(x: Uint8Array, sig: Uint8Array, message: Uint8Array): Uint8Array | null {
  for (const prefix of [2, 3]) {
    const candidate = concat(Uint8Array.of(prefix), x);
    if (verify(sig, sha256(message), candidate)) return secp256k1.Point.fromBytes(candidate).toBytes(false);
  }
  return null;
}

class Reader {
  offset = 0;
  constructor(readonly bytes: Uint8Array) {}
  take(n: number): Uint8Array {
    if (this.offset + n > this.bytes.length) throw new Error(`answer too short (${this.bytes.length})`);
    const out = this.bytes.slice(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
  lv(): Uint8Array {
    const len = this.take(2);
    return this.take((len[0]! << 8) | len[1]!);
  }
  get consumed(): Uint8Array {
    return this.bytes.slice(0, this.offset);
  }
  get rest(): number {
    return this.bytes.length - this.offset;
  }
}

function decrypt(keys: ChannelKeys, body: Uint8Array): { iv: Uint8Array; plain: Uint8Array } {
  const iv = body.slice(0, 16);
  const size = (body[16]! << 8) | body[17]!;
  const padded = aesCbcDecrypt(keys.encKey, iv, body.slice(18, 18 + size));
  return { iv, plain: padded.slice(0, padded.length - padded[padded.length - 1]!) };
}

/**
 * Checks one APDU step. Answers the problems found (empty = the emulator answered as the real card,
 * signatures aside). Updates `ctx` (channel keys, derived key, message, export) as the host would.
 */
export function checkLiveStep(command: Uint8Array, recorded: Uint8Array, answer: Uint8Array, ctx: LiveContext): string[] {
  const problems: string[] = [];
  const sw = (r: Uint8Array) => hex(r.slice(-2));
  if (sw(answer) !== sw(recorded)) return [`status ${sw(answer)}, recorded ${sw(recorded)}`];
  const ins = command[1];
  if (ins === 0x81) {
    const mine = new Reader(answer.slice(0, -2));
    const theirs = new Reader(recorded.slice(0, -2));
    const x = mine.lv();
    if (!equal(x, theirs.lv())) problems.push('ephemeral x differs');
    const sig1 = mine.lv();
    theirs.lv();
    const ephemeral = liftX(x, sig1, mine.consumed.slice(0, 34));
    if (!ephemeral) problems.push('sig1 does not verify with the ephemeral key');
    const sig2 = mine.lv();
    if (!verify(sig2, sha256(mine.consumed.slice(0, mine.offset - sig2.length - 2)), ctx.authentikey)) problems.push('sig2 is not the authentikey over [0020|x|len|sig1]');
    if (ctx.seedkeeper && !equal(mine.lv(), ctx.authentikey.slice(1, 33))) problems.push('appended authentikey x differs');
    if (mine.rest) problems.push('trailing bytes');
    if (ephemeral && ctx.hostPrivate) ctx.keys = deriveChannelKeys(ecdhX(ctx.hostPrivate, ephemeral));
    return problems;
  }
  if (ins !== 0x82 || recorded.length === 2) {
    if (!equal(answer, recorded)) problems.push('answer differs');
    return problems;
  }
  const keys = ctx.keys;
  if (!keys) return ['no channel keys'];
  const mine = decrypt(keys, answer.slice(0, -2));
  const theirs = decrypt(keys, recorded.slice(0, -2));
  if (!equal(mine.iv, theirs.iv)) problems.push('response IV differs');
  const inner = aesCbcDecrypt(keys.encKey, command.slice(5, 21), command.slice(23, 23 + ((command[21]! << 8) | command[22]!)));
  const innerIns = inner[1]!;
  const innerData = inner.slice(5, 5 + inner[4]!);
  const authX = ctx.authentikey.slice(1, 33);
  const r = new Reader(mine.plain);
  const t = new Reader(theirs.plain);
  try {
    switch (innerIns) {
      case 0xad:
      case 0x73:
      case 0x6c:
      case 0xac: {
        // [0020 | authentikey x | len | sig over [0020 | x]]
        const x = r.lv();
        if (!equal(x, authX)) problems.push('x is not the authentikey');
        if (!verify(r.lv(), sha256(r.bytes.slice(0, 34)), ctx.authentikey)) problems.push('authentikey signature does not verify');
        break;
      }
      case 0x6d: {
        // [chaincode | 0020 | x | len | sig1 | len | sig2]; Seedkeeper P2 02/04 change the first field.
        const cc = r.take(32);
        const tcc = t.take(32);
        if (!equal(cc, tcc)) problems.push('chain code / first field differs');
        const x = r.lv();
        if (!equal(x, t.lv())) problems.push('x differs');
        const first = r.consumed;
        const sig1 = r.lv();
        const pub = (inner[3]! & 0x06) === 0 ? liftX(x, sig1, first) : publicKeyOf(x);
        if (!pub || !verify(sig1, sha256(first), pub)) problems.push('sig1 does not verify with the derived key');
        const signed1 = r.consumed;
        if (!verify(r.lv(), sha256(signed1), ctx.authentikey)) problems.push('sig2 is not the authentikey');
        if (pub) ctx.currentPublic = pub;
        break;
      }
      case 0x7a:
        if (!ctx.currentPublic || !verify(mine.plain, innerData.slice(0, 32), ctx.currentPublic)) problems.push('hash signature does not verify');
        r.offset = r.bytes.length;
        break;
      case 0x6e: {
        if (inner[3] !== 0x03) break;
        const chunk = innerData.slice(2, 2 + ((innerData[0]! << 8) | innerData[1]!));
        const digest = sha256(sha256(concat(ctx.message ?? new Uint8Array(0), chunk)));
        if (!ctx.currentPublic || !verify(mine.plain, digest, ctx.currentPublic)) problems.push('message signature does not verify');
        r.offset = r.bytes.length;
        break;
      }
      case 0x94:
        if (!verify(mine.plain, innerData.slice(0, 32), ctx.authentikey)) problems.push('CSR signature does not verify');
        r.offset = r.bytes.length;
        break;
      case 0x9a: {
        const challenge = r.take(32);
        if (!equal(challenge, t.take(32))) problems.push('card challenge differs');
        const message = concat(ascii('Challenge:'), challenge, innerData.slice(0, 32));
        if (!verify(r.lv(), sha256(message), ctx.authentikey)) problems.push('challenge signature does not verify');
        break;
      }
      case 0xaa:
      case 0xab: {
        const pub = r.lv();
        if (!equal(pub, t.lv())) problems.push('trusted pubkey differs');
        if (!verify(r.lv(), sha256(r.bytes.slice(0, 67)), ctx.authentikey)) problems.push('trusted pubkey signature does not verify');
        break;
      }
      case 0xa2: {
        // Plain export: the last answer is [clen | chunk | len | sig over sid | header | blob].
        const chunk = r.lv();
        if (!equal(chunk, t.lv())) problems.push('export chunk differs');
        if (!verify(r.lv(), sha256(concat(...(ctx.exportSigned ?? []), chunk)), ctx.authentikey)) problems.push('export signature does not verify');
        break;
      }
      case 0x98:
        if (!equal(mine.plain, ctx.authentikey)) problems.push('PKI pubkey is not the authentikey');
        r.offset = r.bytes.length;
        break;
      default:
        problems.push(`answer of INS ${innerIns.toString(16)} differs`);
        r.offset = r.bytes.length;
    }
  } catch (error) {
    problems.push(String(error));
  }
  if (r.rest) problems.push(`${r.rest} unexpected trailing bytes`);
  return problems;
}

/** Host-side bookkeeping of equal answers (what later structural checks need). */
export function noteExactStep(command: Uint8Array, answer: Uint8Array, ctx: LiveContext): void {
  if (command[1] !== 0x82 || !ctx.keys || answer.length === 2) return;
  const keys = ctx.keys;
  const inner = aesCbcDecrypt(keys.encKey, command.slice(5, 21), command.slice(23, 23 + ((command[21]! << 8) | command[22]!)));
  const plain = decrypt(keys, answer.slice(0, -2)).plain;
  if (inner[1] === 0xa2 && inner[2] === 0x01) {
    if (inner[3] === 0x01) ctx.exportSigned = [plain];
    else ctx.exportSigned = [...(ctx.exportSigned ?? []), plain.slice(2)];
  }
}

/** SIGN MESSAGE INIT/UPDATE: keeps the hashed prefix (header | varint | chunks) for the FINAL check. */
export function noteMessage(command: Uint8Array, ctx: LiveContext): void {
  if (command[1] !== 0x82 || !ctx.keys) return;
  const inner = aesCbcDecrypt(ctx.keys.encKey, command.slice(5, 21), command.slice(23, 23 + ((command[21]! << 8) | command[22]!)));
  if (inner[1] !== 0x6e) return;
  const data = inner.slice(5, 5 + inner[4]!);
  if (inner[3] === 0x01) {
    const n = (data[0]! << 24) | (data[1]! << 16) | (data[2]! << 8) | data[3]!;
    if (n >= 0xfd) throw new Error('long messages not needed by the vectors');
    ctx.message = concat(Uint8Array.of(0x18), ascii('Bitcoin Signed Message:\n'), Uint8Array.of(n));
  } else if (inner[3] === 0x02) {
    ctx.message = concat(ctx.message ?? new Uint8Array(0), data.slice(2, 2 + ((data[0]! << 8) | data[1]!)));
  }
}
