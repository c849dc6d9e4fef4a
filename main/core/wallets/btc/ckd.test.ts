import fc from 'fast-check';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { HDKey } from '@scure/bip32';
import { describe, expect, it } from 'vitest';
import { PublicChildDeriver } from './ckd.ts';
import { testRoot } from './test-fixtures.ts';

describe('PublicChildDeriver', () => {
  it('derives the same public keys as @scure/bip32, on both chains, at any non-hardened index', () => {
    const account = HDKey.fromExtendedKey(testRoot.derive("m/84'/0'/0'").publicExtendedKey);
    for (const chain of [0, 1]) {
      const node = account.deriveChild(chain);
      const fast = new PublicChildDeriver(node);
      const same = (index: number) => {
        const reference = node.deriveChild(index).publicKey!;
        const key = fast.child(index);
        expect(key.compressed).toEqual(reference);
        expect(key.uncompressed).toEqual(secp256k1.Point.fromBytes(reference).toBytes(false));
      };
      for (let index = 0; index < 40; index += 1) same(index);
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 0x7fffffff }), (index) => {
          same(index);
        }),
        { numRuns: 40 },
      );
    }
    expect(() => new PublicChildDeriver(account.deriveChild(0)).child(0x80000000)).toThrow(RangeError);
  });
});
