/**
 * The card's random number generator, injectable (section 20 of ../shared/protocols/keycard.md: the
 * simulator the vectors come from has a deterministic RNG, and two simulated cards must be seeded
 * differently). Everything random on the emulated card comes from here: key pairs, instance UID,
 * salts, IVs, card challenges, mnemonic entropy, GENERATE KEY seeds and the extra entropy of ECDSA
 * nonces.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { ascii, concat, u32 } from './bytes.ts';

/** `length` fresh random bytes. */
export type RandomFn = (length: number) => Uint8Array;

/** Operating-system randomness (the default). */
export const systemRandom: RandomFn = (length) => randomBytes(length);

/**
 * A deterministic stream: HMAC-SHA256(key = seed, counter(4)) blocks. The same seed always gives
 * the same card; different seeds give different cards (instance UIDs, keys, mnemonics).
 */
export function seededRandom(seed: string | Uint8Array): RandomFn {
  const key = typeof seed === 'string' ? ascii(seed) : seed;
  let counter = 0;
  let pool: Uint8Array = new Uint8Array(0);
  return (length) => {
    while (pool.length < length) pool = concat(pool, hmac(sha256, key, u32(counter++)));
    const out = pool.slice(0, length);
    pool = pool.slice(length);
    return out;
  };
}
