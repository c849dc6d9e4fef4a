/**
 * BIP32 derivation as the applets run it (section 5.3; SATO `getBIP32ExtendedKey`,
 * `Bip32ObjectManager.java`; SK `getBIP32ExtendedKey`). The arithmetic is @scure/bip32's; this module
 * only walks the 4-byte path elements (bit 31 = hardened) and, for the Satochip, keeps the cache:
 * every node on the path (depth >= 1) occupies one of `secmemsize` slots, encrypted under the
 * card's cache key, until the cache is emptied (P2 bit 80, seed reset, factory reset). A node that
 * needs a slot when none is free fails with 9C01; the nodes created before stay cached.
 */
import { HDKey } from '@scure/bip32';
import { ascii, concat, hex } from './bytes.ts';
import { aesEcbDecrypt, aesEcbEncrypt, hmacSha512 } from './crypto.ts';
import { SW, fail } from './status-words.ts';

export interface ExtendedKey {
  readonly privateKey: Uint8Array;
  readonly chainCode: Uint8Array;
}

/** Master key = HMAC-SHA512(key = "Bitcoin seed", seed) (section 5.1). */
export function masterFromSeed(seed: Uint8Array): ExtendedKey {
  const i = hmacSha512(ascii('Bitcoin seed'), seed);
  return { privateKey: i.slice(0, 32), chainCode: i.slice(32) };
}

/** One CKDpriv step; an invalid child (probability ~2^-127) is the applets' 9C0E. */
export function deriveChild(parent: ExtendedKey, index: number): ExtendedKey {
  try {
    const child = new HDKey({ privateKey: parent.privateKey, chainCode: parent.chainCode }).deriveChild(index >>> 0);
    if (!child.privateKey || !child.chainCode) fail(SW.BIP32_DERIVATION_ERROR);
    return { privateKey: child.privateKey, chainCode: child.chainCode };
  } catch {
    fail(SW.BIP32_DERIVATION_ERROR);
  }
}

/** Path element i of `path` (4 bytes each, big-endian). */
export function pathIndex(path: Uint8Array, level: number): number {
  const o = level * 4;
  return (((path[o] ?? 0) << 24) | ((path[o + 1] ?? 0) << 16) | ((path[o + 2] ?? 0) << 8) | (path[o + 3] ?? 0)) >>> 0;
}

/** Plain derivation (Seedkeeper: no cache). */
export function derivePath(master: ExtendedKey, path: Uint8Array, depth: number): ExtendedKey {
  let node = master;
  for (let level = 0; level < depth; level += 1) node = deriveChild(node, pathIndex(path, level));
  return node;
}

/** The Satochip's BIP32 object cache (a fixed number of slots, fixed at the first SETUP). */
export class Bip32Cache {
  /** Keyed by the path prefix; the applet keys by a hash of it (collisions ignored here). */
  private readonly nodes = new Map<string, Uint8Array>();

  constructor(
    readonly slots: number,
    private readonly cacheKey: Uint8Array,
  ) {}

  get used(): number {
    return this.nodes.size;
  }

  get free(): number {
    return Math.max(0, this.slots - this.nodes.size);
  }

  reset(): void {
    this.nodes.clear();
  }

  /** Derives `path` (depth levels), reading and filling the cache on the way. */
  derive(master: ExtendedKey, path: Uint8Array, depth: number): ExtendedKey {
    let node = master;
    for (let level = 1; level <= depth; level += 1) {
      const id = hex(path.subarray(0, level * 4));
      const cached = this.nodes.get(id);
      if (cached) {
        const plain = aesEcbDecrypt(this.cacheKey, cached);
        node = { privateKey: plain.slice(0, 32), chainCode: plain.slice(32, 64) };
        continue;
      }
      node = deriveChild(node, pathIndex(path, level - 1));
      if (this.nodes.size >= this.slots) fail(SW.NO_MEMORY_LEFT);
      this.nodes.set(id, aesEcbEncrypt(this.cacheKey, concat(node.privateKey, node.chainCode)));
    }
    return node;
  }
}
