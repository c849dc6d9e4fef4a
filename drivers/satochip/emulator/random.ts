/**
 * The card's random number generator, injectable so a card (its authentikey, its secret-storage key,
 * every IV and challenge it draws) can be made deterministic. The vector transcripts list the bytes
 * the real applet drew, in order: `construction_rng` at install time, then `card_rng` per APDU
 * (../shared/vectors/satochip/*.json, "details"). `ScriptedRandom` replays exactly those bytes.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { ascii, concat, hex, u32 } from './bytes.ts';

export interface RandomSource {
  /** `RandomData.generateData`: `length` fresh bytes. */
  bytes(length: number): Uint8Array;
}

/** Operating-system randomness (the default). */
export const systemRandom: RandomSource = { bytes: (length) => randomBytes(length) };

/**
 * A deterministic stream for demo cards and tests: HMAC-SHA256(key = seed, counter(4)) blocks.
 * The same seed always gives the same card.
 */
export function seededRandom(seed: string | Uint8Array): RandomSource {
  const key = typeof seed === 'string' ? ascii(seed) : seed;
  let counter = 0;
  let pool: Uint8Array = new Uint8Array(0);
  return {
    bytes(length) {
      while (pool.length < length) pool = concat(pool, hmac(sha256, key, u32(counter++)));
      const out = pool.slice(0, length);
      pool = pool.slice(length);
      return out;
    },
  };
}

/**
 * Replays recorded card randomness: each draw must take exactly the next queued chunk, with the same
 * length, so a replay also checks *when* and *how much* the emulator draws.
 */
export class ScriptedRandom implements RandomSource {
  private readonly queue: Uint8Array[] = [];
  /** Draws that did not match the script (empty when the emulator drew as the real applet did). */
  readonly mismatches: string[] = [];

  constructor(chunks: readonly Uint8Array[] = []) {
    this.push(...chunks);
  }

  push(...chunks: readonly Uint8Array[]): void {
    this.queue.push(...chunks.map((c) => c.slice()));
  }

  /** Drops whatever is still queued. */
  clear(): void {
    this.queue.length = 0;
  }

  get pending(): number {
    return this.queue.length;
  }

  bytes(length: number): Uint8Array {
    const next = this.queue.shift();
    if (!next) {
      this.mismatches.push(`draw of ${length} bytes with nothing scripted`);
      return new Uint8Array(length);
    }
    if (next.length !== length) {
      this.mismatches.push(`draw of ${length} bytes, script has ${next.length} (${hex(next)})`);
      const out = new Uint8Array(length);
      out.set(next.subarray(0, length));
      return out;
    }
    return next;
  }
}
