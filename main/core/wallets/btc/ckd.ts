/**
 * BIP32 public child derivation (CKDpub) from one parent node, the parent's point decoded once.
 * @scure/bip32 decodes the parent point (a square root) and re-validates the child (another) on every
 * deriveChild; a chain node derives many children, so this keeps the point and does per child only
 * HMAC-SHA512, one multiplication of the generator (precomputed tables) and one addition.
 * The two cases BIP32 calls invalid (I_L >= n, or the point at infinity; odds below 2^-127) are
 * handed to @scure/bip32, which also gives the reference results the tests compare against.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha512 } from '@noble/hashes/sha2.js';
import type { HDKey } from '@scure/bip32';

const { Point } = secp256k1;
const N = Point.Fn.ORDER;

/** One public key in both SEC1 encodings: 33 bytes for scripts, 65 for checks that would otherwise decode it again. */
export interface ChildKey {
  readonly compressed: Uint8Array;
  /** The same point uncompressed: verifying under it needs no square root. */
  readonly uncompressed: Uint8Array;
}

export class PublicChildDeriver {
  readonly #node: HDKey;
  readonly #point: InstanceType<typeof Point>;
  readonly #data: Uint8Array;

  constructor(node: HDKey) {
    if (!node.publicKey || !node.chainCode) throw new Error('a public node with a chain code is needed');
    this.#node = node;
    this.#point = Point.fromBytes(node.publicKey);
    this.#data = new Uint8Array(37);
    this.#data.set(node.publicKey);
  }

  /** The public key of non-hardened child `index`. */
  child(index: number): ChildKey {
    if (!Number.isInteger(index) || index < 0 || index >= 0x80000000) throw new RangeError('non-hardened index expected');
    const data = Uint8Array.from(this.#data);
    new DataView(data.buffer).setUint32(33, index);
    const I = hmac(sha512, this.#node.chainCode!, data);
    const tweak = bytesToNumberBE(I.subarray(0, 32));
    if (tweak === 0n || tweak >= N) return this.#reference(index);
    // Variable-time multiplication: the tweak comes from public data (the xpub), nothing secret to leak.
    const child = Point.BASE.multiplyUnsafe(tweak).add(this.#point);
    if (child.equals(Point.ZERO)) return this.#reference(index);
    return { compressed: child.toBytes(true), uncompressed: child.toBytes(false) };
  }

  /** BIP32's "proceed with the next index" cases, as @scure/bip32 handles them. */
  #reference(index: number): ChildKey {
    const compressed = this.#node.deriveChild(index).publicKey!;
    return { compressed, uncompressed: Point.fromBytes(compressed).toBytes(false) };
  }
}
