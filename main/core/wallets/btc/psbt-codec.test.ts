import { base64 } from '@scure/base';
import { Psbt } from 'bitcoinjs-lib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from './bytes.ts';
import { decodePsbtForApproval } from './decode.ts';
import { isBtcError } from './errors.ts';
import { buildSendPsbt } from './psbt-build.ts';
import { exportPsbtBase64, exportPsbtBytes, importPsbt } from './psbt-codec.ts';
import { planSigning } from './psbt-sign.ts';
import { coin, testAccount } from './test-fixtures.ts';

const account = testAccount('regtest');
const network = account.network;
const { psbt: sample } = buildSendPsbt(account, {
  recipients: [{ address: account.address(0, 40), amount: 25_000 }],
  feeRate: 2,
  utxos: [coin(account, 20_000, 0, 0), coin(account, 20_000, 1, 1)],
  changeIndex: 2,
});
const sampleBase64 = exportPsbtBase64(sample);
const sampleBytes = exportPsbtBytes(sample);

function errorOf(work: () => unknown): unknown {
  try {
    work();
    return null;
  } catch (error) {
    return error;
  }
}

describe('importPsbt', () => {
  it('reads base64, hex, binary and files holding base64 text, with surrounding whitespace', () => {
    for (const input of [
      sampleBase64,
      `\n  ${sampleBase64.slice(0, 40)}\n${sampleBase64.slice(40)}  \n`,
      bytesToHex(sampleBytes),
      bytesToHex(sampleBytes).toUpperCase(),
      sampleBytes,
      new TextEncoder().encode(`${sampleBase64}\n`),
    ]) {
      expect(exportPsbtBase64(importPsbt(input, network))).toBe(sampleBase64);
    }
  });

  it('gives INVALID_PSBT, with a reason, for anything else', () => {
    const cases: (string | Uint8Array)[] = [
      '',
      '   ',
      'hello',
      'cHNidP8',
      sampleBase64.slice(0, -8),
      sampleBase64.replace(/A/g, '*'),
      base64.encode(new TextEncoder().encode('not a psbt at all')),
      new Uint8Array(0),
      Uint8Array.of(0x70, 0x73, 0x62, 0x74, 0xff),
      Uint8Array.of(0xff, 0xfe, 0x00),
      sampleBytes.subarray(0, sampleBytes.length - 1),
      '70736274ff00',
    ];
    for (const input of cases) {
      const error = errorOf(() => importPsbt(input, network));
      expect(isBtcError(error, 'INVALID_PSBT')).toBe(true);
      expect((error as Error).message).toMatch(/\(code=INVALID_PSBT, reason=".+"\)/);
    }
    expect(isBtcError(errorOf(() => importPsbt(42 as unknown as string, network)), 'INVALID_PSBT')).toBe(true);
  });

  it('refuses amounts above 21,000,000 BTC, and transactions without inputs or outputs', () => {
    const huge = new Psbt();
    huge.addInput({ hash: '00'.repeat(32), index: 0 });
    huge.addOutput({ script: account.script(0, 0), value: 2_100_000_000_000_001n });
    expect(isBtcError(errorOf(() => importPsbt(huge.toBase64(), network)), 'INVALID_PSBT')).toBe(true);
    const sum = new Psbt();
    sum.addInput({ hash: '00'.repeat(32), index: 0 });
    sum.addOutput({ script: account.script(0, 0), value: 2_000_000_000_000_000n });
    sum.addOutput({ script: account.script(0, 1), value: 200_000_000_000_000n });
    expect(isBtcError(errorOf(() => importPsbt(sum.toBase64(), network)), 'INVALID_PSBT')).toBe(true);
    const noOutputs = new Psbt();
    noOutputs.addInput({ hash: '00'.repeat(32), index: 0 });
    expect(isBtcError(errorOf(() => importPsbt(noOutputs.toBase64(), network)), 'INVALID_PSBT')).toBe(true);
    const bigInput = new Psbt();
    bigInput.addInput({ hash: '00'.repeat(32), index: 0, witnessUtxo: { script: account.script(0, 0), value: 2n ** 62n } });
    bigInput.addOutput({ script: account.script(0, 0), value: 1n });
    expect(isBtcError(errorOf(() => importPsbt(bigInput.toBase64(), network)), 'INVALID_PSBT')).toBe(true);
  });

  it('property: random bytes and random text only ever give INVALID_PSBT', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 600 }), fc.uint8Array({ maxLength: 600 }).map((b) => Uint8Array.of(0x70, 0x73, 0x62, 0x74, 0xff, ...b)), fc.string({ maxLength: 300 })), (input) => {
        const error = errorOf(() => importPsbt(input, network));
        expect(isBtcError(error, 'INVALID_PSBT')).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('property: every truncation of a valid PSBT (base64 or binary) gives INVALID_PSBT', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: sampleBase64.length - 1 }), fc.integer({ min: 0, max: sampleBytes.length - 1 }), (chars, bytes) => {
        expect(isBtcError(errorOf(() => importPsbt(sampleBase64.slice(0, chars), network)), 'INVALID_PSBT')).toBe(true);
        expect(isBtcError(errorOf(() => importPsbt(sampleBytes.slice(0, bytes), network)), 'INVALID_PSBT')).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('property: a PSBT with bytes changed either parses or is INVALID_PSBT, and decoding or planning it only ever fails with a BtcError', () => {
    const signer = { family: 'satochip' as const, schnorr: false };
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(sampleBytes.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (edits) => {
        const bytes = Uint8Array.from(sampleBytes);
        for (const [at, value] of edits) bytes[at] = value;
        let psbt: Psbt;
        try {
          psbt = importPsbt(bytes, network);
        } catch (error) {
          expect(isBtcError(error, 'INVALID_PSBT')).toBe(true);
          return;
        }
        for (const work of [() => decodePsbtForApproval(psbt, account, { scan: { receive: 5, change: 5 } }), () => planSigning(psbt, account, signer, { receive: 5, change: 5 })]) {
          const error = errorOf(work);
          if (error !== null) expect([isBtcError(error), String(error)]).toEqual([true, String(error)]);
        }
      }),
      { numRuns: 500 },
    );
  });
});
