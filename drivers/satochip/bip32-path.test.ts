import { HDKey } from '@scure/bip32';
import { describe, expect, it } from 'vitest';
import { HARDENED, XPUB_VERSIONS, formatBip32Path, keyFingerprint, parseBip32Path, serializeXpub } from './bip32-path.ts';
import { bytes, loadVector } from './test-support/host-replay.ts';

describe('BIP32 paths (section 5.3)', () => {
  it("parses ', h and H as hardened, and child numbers as given", () => {
    expect(parseBip32Path("m/84'/0h/0H/0/5")).toEqual([84 + HARDENED, HARDENED, HARDENED, 0, 5]);
    expect(parseBip32Path('m')).toEqual([]);
    expect(parseBip32Path([HARDENED + 44, 1])).toEqual([HARDENED + 44, 1]);
    expect(formatBip32Path(parseBip32Path("m/44h/60h/0h/0/0"))).toBe("m/44'/60'/0'/0/0");
  });

  it.each([['84/0'], ['m/'], ['m/x'], ['m/2147483648'], ['m/1/2/3/4/5/6/7/8/9/10/11'], ['m/-1']])('refuses %s', (path) => {
    expect(() => parseBip32Path(path)).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('refuses child numbers out of 32 bits and depth over 10', () => {
    expect(() => parseBip32Path([2 ** 32])).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => parseBip32Path(new Array(11).fill(0))).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('serializeXpub and keyFingerprint agree with @scure/bip32 for the transcript seed', () => {
    const root = HDKey.fromMasterSeed(bytes(loadVector('satochip-transcript-setup-seed-sign.json').inputs.bip39_seed));
    const parent = root.derive("m/84'/0'/0'/0");
    const child = root.derive("m/84'/0'/0'/0/0");
    expect(keyFingerprint(parent.publicKey!)).toBe(parent.fingerprint);
    expect(
      serializeXpub({
        version: XPUB_VERSIONS.xpub,
        depth: 5,
        parentFingerprint: keyFingerprint(parent.publicKey!),
        childNumber: 0,
        chainCode: child.chainCode!,
        publicKey: child.publicKey!,
      }),
    ).toBe(child.publicExtendedKey);
  });
});
