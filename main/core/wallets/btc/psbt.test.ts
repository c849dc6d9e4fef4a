import { secp256k1 } from '@noble/curves/secp256k1.js';
import { Transaction, script as bscript, type Psbt } from 'bitcoinjs-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { Bip84Account } from './account.ts';
import { bytesToHex, equalBytes } from './bytes.ts';
import { ecc } from './ecc.ts';
import { isBtcError, type BtcErrorCode } from './errors.ts';
import { buildSendPsbt } from './psbt-build.ts';
import { exportPsbtBase64, importPsbt } from './psbt-codec.ts';
import { extractTransaction, finalizePsbt } from './psbt-finalize.ts';
import { planSigning, signPsbt, verifySignature, type SignProgress } from './psbt-sign.ts';
import { coin, tamperingSigner, testCard, type TestCard } from './test-fixtures.ts';
import { OTHER_MNEMONIC, externalPsbt, otherKey, signForeignInputs, type ExternalInput } from './test-fixtures-psbt.ts';

const CURVE_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const validator = (pubkey: Uint8Array, msghash: Uint8Array, signature: Uint8Array) => ecc.verify(msghash, pubkey, signature, true);

/** Every partial signature: DER + SIGHASH_ALL, low S, valid for bitcoinjs-lib's own sighash. */
function expectGoodSignatures(psbt: Psbt, inputs: readonly number[]) {
  for (const i of inputs) {
    const sigs = psbt.data.inputs[i]!.partialSig!;
    expect(sigs).toHaveLength(1);
    const decoded = bscript.signature.decode(sigs[0]!.signature);
    expect(decoded.hashType).toBe(Transaction.SIGHASH_ALL);
    const s = BigInt('0x' + bytesToHex(decoded.signature.subarray(32)));
    expect(s <= CURVE_N / 2n).toBe(true);
    expect(psbt.validateSignaturesOfInput(i, validator)).toBe(true);
  }
}

async function codeOf(work: () => unknown): Promise<BtcErrorCode | string> {
  try {
    await work();
    return 'no error';
  } catch (error) {
    return isBtcError(error) ? error.code : `not a BtcError: ${String(error)}`;
  }
}

describe('PSBT build, sign on the card, finalize', () => {
  let card: TestCard;
  let account: Bip84Account;
  const recipient = otherKey(7);
  beforeAll(async () => {
    card = await testCard();
    account = await Bip84Account.fromCard(card.signer, { network: 'regtest' });
  });

  it('builds a send with change, signs it on the card with progress, and finalizes a valid transaction', async () => {
    const utxos = [coin(account, 50_000, 0, 0), coin(account, 30_000, 0, 1), coin(account, 20_000, 1, 0)];
    const to = account.withNetwork('regtest');
    const built = buildSendPsbt(account, {
      recipients: [{ address: (await import('./scripts.ts')).scriptAddress(recipient.script, to.network)!, amount: 60_000 }],
      feeRate: 2,
      utxos,
      changeIndex: 3,
    });
    const { psbt, selection } = built;
    expect(selection.inputs.map((u) => u.value)).toEqual([50_000, 30_000]);
    expect(selection.fee).toBe(2 * 209);
    expect(selection.change).toBe(80_000 - 60_000 - 418);
    expect(built.change).toMatchObject({ path: "m/84'/1'/0'/1/3", address: account.address(1, 3), value: selection.change });
    for (const input of psbt.data.inputs) {
      expect(input.witnessUtxo).toBeDefined();
      expect(bytesToHex(input.bip32Derivation![0]!.masterFingerprint)).toBe('73c5da0a');
    }
    const changeOut = psbt.data.outputs[built.change!.outputIndex]!;
    expect(changeOut.bip32Derivation![0]!.path).toBe("m/84'/1'/0'/1/3");
    expect(psbt.data.globalMap.globalXpub![0]!.path).toBe("m/84'/1'/0'");

    const progress: SignProgress[] = [];
    const before = card.apdus();
    const result = await signPsbt(psbt, account, card.signer, { onProgress: (p) => progress.push(p) });
    expect(result.signed).toEqual([0, 1]);
    expect(progress.map((p) => `${p.signed}/${p.total}`)).toEqual(['0/2', '1/2', '2/2']);
    // Two keys: one GET EXTENDED KEY and one SIGN HASH each.
    expect(card.apdus() - before).toBe(4);
    expectGoodSignatures(psbt, [0, 1]);

    const roundTrip = importPsbt(exportPsbtBase64(psbt), account.network);
    // Our P2WPKH finalizer writes exactly what bitcoinjs-lib's would.
    const byBitcoinjs = importPsbt(exportPsbtBase64(psbt), account.network).finalizeAllInputs();
    finalizePsbt(roundTrip);
    expect(exportPsbtBase64(roundTrip)).toBe(exportPsbtBase64(byBitcoinjs));
    const tx = extractTransaction(roundTrip);
    expect(tx.fee).toBe(418);
    expect(tx.vsize).toBeLessThanOrEqual(selection.vbytes);
    expect(tx.feeRate).toBeGreaterThanOrEqual(2);
    const parsed = Transaction.fromHex(tx.hex);
    expect(parsed.getId()).toBe(tx.txid);
    expect(parsed.ins.every((input) => input.witness.length === 2 && input.witness[1]!.length === 33)).toBe(true);
  });

  it('signs each key once per card session: 10 coins on 3 addresses cost 3 derivations and 10 signatures', async () => {
    const utxos = Array.from({ length: 10 }, (_, i) => coin(account, 10_000 + i, 0, i % 3, `many ${i}`));
    const { psbt } = buildSendPsbt(account, { recipients: [{ address: account.address(0, 50), amount: 99_000 }], feeRate: 1, utxos, changeIndex: 0 });
    const before = card.apdus();
    const result = await signPsbt(psbt, account, card.signer);
    expect(result.signed).toHaveLength(10);
    expect(card.apdus() - before).toBe(13);
    expectGoodSignatures(psbt, result.signed);
    expect(extractTransaction(finalizePsbt(psbt)).fee).toBeGreaterThan(0);
  });

  it('sends the whole balance with sendMax: no change, the fee taken from the amount', async () => {
    const utxos = [coin(account, 40_000, 0, 0, 'max a'), coin(account, 2_000, 1, 2, 'max b')];
    const built = buildSendPsbt(account, { recipients: [{ address: account.address(0, 9) }], sendMax: true, feeRate: 3, utxos, changeIndex: 0 });
    expect(built.change).toBeNull();
    expect(built.psbt.txOutputs).toHaveLength(1);
    expect(Number(built.psbt.txOutputs[0]!.value) + built.selection.fee).toBe(42_000);
    await signPsbt(built.psbt, account, card.signer);
    expect(extractTransaction(finalizePsbt(built.psbt)).feeRate).toBeGreaterThanOrEqual(3);
  });

  describe('PSBTs from other tools', () => {
    const pay = otherKey(9).script;

    it('signs a Sparrow-style PSBT (bip32Derivation, witnessUtxo + full previous tx, a foreign input signed by its owner)', async () => {
      const inputs: ExternalInput[] = [
        { value: 25_000, owner: { chain: 0, index: 4 }, nonWitnessUtxo: true },
        { value: 15_000, owner: 'foreign', nonWitnessUtxo: true },
        { value: 5_000, owner: { chain: 1, index: 1 }, nonWitnessUtxo: true },
      ];
      const psbt = externalPsbt(account, inputs, [
        { script: pay, value: 30_000 },
        { script: account.script(1, 2), value: 14_000, change: { chain: 1, index: 2 } },
      ]);
      signForeignInputs(psbt, inputs);
      const imported = importPsbt(psbt.toBuffer(), account.network);
      const result = await signPsbt(imported, account, card.signer);
      expect(result).toEqual({ signed: [0, 2], alreadySigned: [], foreign: [1] });
      expectGoodSignatures(imported, [0, 1, 2]);
      const byBitcoinjs = importPsbt(imported.toBase64(), account.network).finalizeAllInputs();
      const tx = extractTransaction(finalizePsbt(imported));
      expect(imported.toBase64()).toBe(byBitcoinjs.toBase64());
      expect(tx.fee).toBe(1_000);
    });

    it('signs a PSBT without bip32Derivation (coins found by their scripts), and one with only the previous transactions', async () => {
      const bare: ExternalInput[] = [
        { value: 12_000, owner: { chain: 0, index: 17 }, bip32Derivation: false },
        { value: 8_000, owner: { chain: 1, index: 60 }, bip32Derivation: false },
      ];
      const psbt = importPsbt(externalPsbt(account, bare, [{ script: pay, value: 19_000 }]).toBase64(), account.network);
      expect((await signPsbt(psbt, account, card.signer)).signed).toEqual([0, 1]);
      expectGoodSignatures(psbt, [0, 1]);
      expect(extractTransaction(finalizePsbt(psbt)).fee).toBe(1_000);

      const fullTxOnly: ExternalInput[] = [{ value: 12_000, owner: { chain: 0, index: 2 }, witnessUtxo: false, nonWitnessUtxo: true }];
      const legacyStyle = importPsbt(externalPsbt(account, fullTxOnly, [{ script: pay, value: 11_500 }]).toBase64(), account.network);
      expect((await signPsbt(legacyStyle, account, card.signer)).signed).toEqual([0]);
      expectGoodSignatures(legacyStyle, [0]);
      expect(extractTransaction(finalizePsbt(legacyStyle)).fee).toBe(500);
    });

    it('signs only once: a second pass finds nothing left to sign', async () => {
      const inputs: ExternalInput[] = [{ value: 9_000, owner: { chain: 0, index: 1 } }];
      const psbt = externalPsbt(account, inputs, [{ script: pay, value: 8_000 }]);
      await signPsbt(psbt, account, card.signer);
      const before = card.apdus();
      expect(await codeOf(() => signPsbt(psbt, account, card.signer))).toBe('NOTHING_TO_SIGN');
      expect(card.apdus()).toBe(before);
    });
  });

  describe('signatures are checked before use', () => {
    const pay = otherKey(3).script;
    const inputs: ExternalInput[] = [{ value: 9_000, owner: { chain: 0, index: 1 } }];

    it('refuses a tampered signature from the card, and leaves the PSBT unsigned', async () => {
      const psbt = externalPsbt(account, inputs, [{ script: pay, value: 8_000 }]);
      const flipped = tamperingSigner(card.signer, (sig) => ((sig[10]! ^= 0x01), sig));
      expect(await codeOf(() => signPsbt(psbt, account, flipped))).toBe('SIGNATURE_INVALID');
      expect(psbt.data.inputs[0]!.partialSig).toBeUndefined();
    });

    it('refuses a high-S signature, valid as ECDSA but not as a Bitcoin standard signature', async () => {
      const psbt = externalPsbt(account, inputs, [{ script: pay, value: 8_000 }]);
      const highS = tamperingSigner(card.signer, (sig) => {
        const s = BigInt('0x' + bytesToHex(sig.subarray(32)));
        sig.set(hex32(CURVE_N - s), 32);
        // Still a valid ECDSA signature (not low-S).
        expect(secp256k1.Signature.fromBytes(sig, 'compact').hasHighS()).toBe(true);
        return sig;
      });
      expect(await codeOf(() => signPsbt(psbt, account, highS))).toBe('SIGNATURE_INVALID');
    });

    it("refuses another card's signature (KEY_MISMATCH), and a digest the signature is not for", async () => {
      const other = await testCard(OTHER_MNEMONIC);
      const psbt = externalPsbt(account, inputs, [{ script: pay, value: 8_000 }]);
      expect(await codeOf(() => signPsbt(psbt, account, other.signer))).toBe('KEY_MISMATCH');
      const task = planSigning(psbt, account, card.signer).tasks[0]!;
      expect(task.verificationKey).toEqual(secp256k1.Point.fromBytes(task.publicKey).toBytes(false));
      const signed = await card.signer.signDigest(task.path, task.sighash);
      expect(() => verifySignature(task, signed.signature)).not.toThrow();
      const otherDigest = Uint8Array.from(task.sighash);
      otherDigest[0]! ^= 0xff;
      expect(await codeOf(() => verifySignature({ ...task, sighash: otherDigest }, signed.signature))).toBe('SIGNATURE_INVALID');
      const otherKey = secp256k1.Point.fromBytes(account.publicKey(0, 99)).toBytes(false);
      expect(await codeOf(() => verifySignature({ ...task, verificationKey: otherKey }, signed.signature))).toBe('SIGNATURE_INVALID');
    });

    it('a tampered signature in a PSBT fails bitcoinjs-lib verification too', async () => {
      const psbt = externalPsbt(account, inputs, [{ script: pay, value: 8_000 }]);
      await signPsbt(psbt, account, card.signer);
      const sig = psbt.data.inputs[0]!.partialSig![0]!;
      const tampered = Uint8Array.from(sig.signature);
      tampered[tampered.length - 5]! ^= 0x01;
      const copy = importPsbt(psbt.toBase64(), account.network);
      copy.data.inputs[0]!.partialSig = [{ pubkey: sig.pubkey, signature: tampered }];
      expect(copy.validateSignaturesOfInput(0, validator)).toBe(false);
      expect(equalBytes(sig.signature, tampered)).toBe(false);
    });
  });

  describe('every bad input is a typed error before the card is touched', () => {
    const address = () => account.address(0, 30);

    it('send form: address, network, amounts, dust, funds, fee rate', async () => {
      const utxos = [coin(account, 50_000, 0, 0)];
      const cases: [BtcErrorCode, Parameters<typeof buildSendPsbt>[1]][] = [
        ['INVALID_ADDRESS', { recipients: [{ address: 'bcrt1qnotanaddress', amount: 1000 }], feeRate: 1, utxos, changeIndex: 0 }],
        ['WRONG_NETWORK', { recipients: [{ address: 'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu', amount: 1000 }], feeRate: 1, utxos, changeIndex: 0 }],
        ['WRONG_NETWORK', { recipients: [{ address: account.withNetwork('litecoin-regtest').address(0, 1), amount: 1000 }], feeRate: 1, utxos, changeIndex: 0 }],
        ['INVALID_AMOUNT', { recipients: [{ address: address(), amount: 0 }], feeRate: 1, utxos, changeIndex: 0 }],
        ['INVALID_AMOUNT', { recipients: [{ address: address(), amount: -5000 }], feeRate: 1, utxos, changeIndex: 0 }],
        ['INVALID_AMOUNT', { recipients: [{ address: address(), amount: 1000.5 }], feeRate: 1, utxos, changeIndex: 0 }],
        ['INVALID_AMOUNT', { recipients: [{ address: address() }], feeRate: 1, utxos, changeIndex: 0 }],
        ['AMOUNT_OVERFLOW', { recipients: [{ address: address(), amount: 2_100_000_000_000_001 }], feeRate: 1, utxos, changeIndex: 0 }],
        ['AMOUNT_OVERFLOW', { recipients: [{ address: address(), amount: 2n ** 63n }], feeRate: 1, utxos, changeIndex: 0 }],
        ['AMOUNT_OVERFLOW', { recipients: [{ address: address(), amount: 2_000_000_000_000_000 }, { address: address(), amount: 200_000_000_000_000 }], feeRate: 1, utxos, changeIndex: 0 }],
        ['DUST_OUTPUT', { recipients: [{ address: address(), amount: 293 }], feeRate: 1, utxos, changeIndex: 0 }],
        ['INSUFFICIENT_FUNDS', { recipients: [{ address: address(), amount: 49_900 }], feeRate: 1, utxos, changeIndex: 0 }],
        ['INSUFFICIENT_FUNDS', { recipients: [{ address: address(), amount: 1_000 }], feeRate: 1, utxos: [], changeIndex: 0 }],
        ['FEE_RATE_ABSURD', { recipients: [{ address: address(), amount: 1000 }], feeRate: 5000, utxos, changeIndex: 0 }],
        ['INVALID_FEE_RATE', { recipients: [{ address: address(), amount: 1000 }], feeRate: 0, utxos, changeIndex: 0 }],
        ['INVALID_FEE_RATE', { recipients: [{ address: address(), amount: 1000 }], feeRate: Number.NaN, utxos, changeIndex: 0 }],
        ['INVALID_ARGUMENT', { recipients: [], feeRate: 1, utxos, changeIndex: 0 }],
        ['INVALID_ARGUMENT', { recipients: [{ address: address(), amount: 1000 }], feeRate: 1, utxos, changeIndex: -1 }],
        ['INVALID_ARGUMENT', { recipients: [{ address: address(), amount: 1000 }], feeRate: 1, utxos: [utxos[0]!, utxos[0]!], changeIndex: 0 }],
      ];
      const before = card.apdus();
      for (const [expected, request] of cases) {
        expect([expected, await codeOf(() => buildSendPsbt(account, request))]).toEqual([expected, expected]);
      }
      expect(card.apdus()).toBe(before);
    });

    it('PSBT: malformed, nothing to sign, missing or contradicting coins, other sighash, taproot, legacy script, cancelled', async () => {
      const pay = otherKey(1).script;
      const ours: ExternalInput = { value: 9_000, owner: { chain: 0, index: 1 } };
      const make = (inputs: ExternalInput[]) => externalPsbt(account, inputs, [{ script: pay, value: 8_000 }]);
      const noUtxo = make([{ ...ours, witnessUtxo: false }]);
      const wrongPrevTx = make([{ ...ours, witnessUtxo: false, nonWitnessUtxo: true }]);
      wrongPrevTx.data.inputs[0]!.nonWitnessUtxo = make([{ value: 1, owner: 'foreign', nonWitnessUtxo: true }]).data.inputs[0]!.nonWitnessUtxo!;
      const disagree = make([{ ...ours, nonWitnessUtxo: true }]);
      disagree.data.inputs[0]!.witnessUtxo = { script: disagree.data.inputs[0]!.witnessUtxo!.script, value: 99_999n };
      const single = make([ours]);
      single.updateInput(0, { sighashType: Transaction.SIGHASH_SINGLE });
      const taproot = make([{ value: 9_000, owner: 'foreign', bip32Derivation: false }]);
      taproot.updateInput(0, {
        tapBip32Derivation: [{ masterFingerprint: account.masterFingerprint, path: "m/86'/1'/0'/0/0", pubkey: account.publicKey(0, 0).subarray(1), leafHashes: [] }],
      });
      const legacy = make([{ value: 9_000, owner: 'foreign', bip32Derivation: false }]);
      const keyHash = (await import('./bytes.ts')).hash160(account.publicKey(0, 5));
      legacy.data.inputs[0]!.witnessUtxo = { script: (await import('./scripts.ts')).p2pkhScript(keyHash), value: 9_000n };
      legacy.updateInput(0, { bip32Derivation: [{ masterFingerprint: account.masterFingerprint, path: account.keyPath(0, 5), pubkey: account.publicKey(0, 5) }] });
      const aborted = new AbortController();
      aborted.abort();

      const before = card.apdus();
      const sign = (psbt: Psbt, signal?: AbortSignal) => () => signPsbt(psbt, account, card.signer, signal ? { signal } : {});
      expect(await codeOf(() => importPsbt('cHNidP8BAHUCAAAAAa', account.network))).toBe('INVALID_PSBT');
      expect(await codeOf(sign(make([{ value: 9_000, owner: 'foreign' }])))).toBe('NOTHING_TO_SIGN');
      expect(await codeOf(sign(noUtxo))).toBe('MISSING_UTXO');
      expect(await codeOf(sign(wrongPrevTx))).toBe('UTXO_MISMATCH');
      expect(await codeOf(sign(disagree))).toBe('UTXO_MISMATCH');
      expect(await codeOf(sign(single))).toBe('UNSUPPORTED_SIGHASH');
      expect(await codeOf(sign(taproot))).toBe('SCHNORR_UNSUPPORTED');
      expect(await codeOf(sign(legacy))).toBe('UNSUPPORTED_SCRIPT_TYPE');
      expect(await codeOf(sign(make([ours]), aborted.signal))).toBe('CANCELLED');
      expect(card.apdus()).toBe(before);
    });

    it('finalize and extract refuse unsigned inputs and absurd fees', async () => {
      const pay = otherKey(1).script;
      const unsigned = externalPsbt(account, [{ value: 9_000, owner: { chain: 0, index: 1 } }], [{ script: pay, value: 8_000 }]);
      expect(await codeOf(() => finalizePsbt(unsigned))).toBe('PSBT_NOT_FINALIZABLE');
      expect(await codeOf(() => extractTransaction(unsigned))).toBe('PSBT_NOT_FINALIZABLE');
      const greedy = externalPsbt(account, [{ value: 900_000, owner: { chain: 0, index: 1 } }], [{ script: pay, value: 1_000 }]);
      await signPsbt(greedy, account, card.signer);
      finalizePsbt(greedy);
      expect(await codeOf(() => extractTransaction(greedy))).toBe('FEE_RATE_ABSURD');
      expect(extractTransaction(greedy, { maxFeeRate: 10_000 }).fee).toBe(899_000);
    });
  });
});

function hex32(n: bigint): Uint8Array {
  return Uint8Array.from(Buffer.from(n.toString(16).padStart(64, '0'), 'hex'));
}
