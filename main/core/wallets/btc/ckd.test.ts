import fc from 'fast-check';
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
      for (let index = 0; index < 40; index += 1) expect(fast.child(index)).toEqual(node.deriveChild(index).publicKey);
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 0x7fffffff }), (index) => {
          expect(fast.child(index)).toEqual(node.deriveChild(index).publicKey);
        }),
        { numRuns: 40 },
      );
    }
    expect(() => new PublicChildDeriver(account.deriveChild(0)).child(0x80000000)).toThrow(RangeError);
  });
});
