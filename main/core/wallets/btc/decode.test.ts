import { describe, expect, it } from 'vitest';
import { decodePsbtForApproval, type BtcApprovalView } from './decode.ts';
import { buildSendPsbt } from './psbt-build.ts';
import { importPsbt } from './psbt-codec.ts';
import { scriptAddress } from './scripts.ts';
import { coin, testAccount } from './test-fixtures.ts';
import { externalPsbt, otherKey, type ExternalInput } from './test-fixtures-psbt.ts';

const account = testAccount('regtest');
const pay = otherKey(5);
const payAddress = scriptAddress(pay.script, account.network)!;
const codes = (view: BtcApprovalView) => view.warnings.map((w) => w.code).sort();
const ours = (index: number): ExternalInput => ({ value: 100_000, owner: { chain: 0, index } });

describe('decodePsbtForApproval', () => {
  it('shows every output with address and amount, the change proved by derivation, totals, fee and rate', () => {
    const { psbt, selection, change } = buildSendPsbt(account, {
      recipients: [{ address: payAddress, amount: 70_000 }],
      feeRate: 5,
      utxos: [coin(account, 60_000, 0, 0), coin(account, 40_000, 1, 3)],
      changeIndex: 4,
    });
    const view = decodePsbtForApproval(psbt, account);
    expect(view).toMatchObject({
      kind: 'btc-psbt',
      network: 'regtest',
      account: { path: "m/84'/1'/0'", fingerprint: '73c5da0a' },
      inputsTotal: 100_000,
      outputsTotal: 100_000 - selection.fee,
      sent: 70_000,
      changeTotal: selection.change,
      fee: selection.fee,
      cardSignatures: 2,
      rbf: true,
      locktime: 0,
      warnings: [],
    });
    expect(view.vbytes).toBe(selection.vbytes);
    expect(view.feeRate).toBeGreaterThanOrEqual(5);
    const changeOut = view.outputs[change!.outputIndex]!;
    expect(changeOut).toMatchObject({ change: true, toSelf: false, path: "m/84'/1'/0'/1/4", proof: 'bip32Derivation', address: account.address(1, 4) });
    const payment = view.outputs.find((o) => !o.change)!;
    expect(payment).toMatchObject({ address: payAddress, value: 70_000, scriptType: 'p2wpkh', change: false, path: null });
    expect(view.inputs.map((i) => [i.cardPath, i.willSign, i.value])).toEqual(
      expect.arrayContaining([
        ["m/84'/1'/0'/0/0", true, 60_000],
        ["m/84'/1'/0'/1/3", true, 40_000],
      ]),
    );
    // Plain data: survives JSON unchanged.
    expect(JSON.parse(JSON.stringify(view))).toEqual(view);
  });

  it('does NOT call an output change when its bip32Derivation is forged (key or script not ours)', () => {
    const psbt = externalPsbt(account, [ours(0)], [
      { script: pay.script, value: 50_000 },
      // Claims to be our change 1/0 (real key, real path) but pays someone else's script.
      { script: otherKey(6).script, value: 49_000 },
    ]);
    psbt.updateOutput(1, { bip32Derivation: [{ masterFingerprint: account.masterFingerprint, path: account.keyPath(1, 0), pubkey: account.publicKey(1, 0) }] });
    // Another output claims our fingerprint and a change path with a key that is not ours there.
    psbt.addOutput({
      script: otherKey(8).script,
      value: 500n,
      bip32Derivation: [{ masterFingerprint: account.masterFingerprint, path: account.keyPath(1, 1), pubkey: otherKey(8).publicKey }],
    });
    const view = decodePsbtForApproval(psbt, account);
    expect(view.outputs.map((o) => o.change)).toEqual([false, false, false]);
    expect(view.changeTotal).toBe(0);
    expect(view.sent).toBe(99_500);
    expect(codes(view)).toEqual(['UNPROVEN_KEY_CLAIM', 'UNPROVEN_KEY_CLAIM']);
  });

  it('finds change by deriving the change chain when the PSBT has no bip32Derivation, and flags payments to our own receive addresses', () => {
    const psbt = externalPsbt(account, [{ ...ours(0), bip32Derivation: false }], [
      { script: pay.script, value: 40_000 },
      { script: account.script(1, 7), value: 30_000 },
      { script: account.script(0, 2), value: 29_000 },
    ]);
    const view = decodePsbtForApproval(psbt, account);
    expect(view.outputs.map((o) => [o.change, o.toSelf, o.proof])).toEqual([
      [false, false, null],
      [true, false, 'derived'],
      [false, true, 'derived'],
    ]);
    // Sent: what does not come back as change (a payment to our own receive address included).
    expect(view.sent).toBe(69_000);
    expect(view.inputs[0]).toMatchObject({ cardPath: "m/84'/1'/0'/0/0", willSign: true });
  });

  it('warns about OP_RETURN data and unknown script types, with their hex', () => {
    const opReturn = Uint8Array.of(0x6a, 0x04, 0xde, 0xad, 0xbe, 0xef);
    const bareMultisig = Uint8Array.of(0x51, 0x21, ...account.publicKey(0, 0), 0x51, 0xae);
    const futureSegwit = Uint8Array.of(0x52, 0x02, 0xab, 0xcd);
    const psbt = externalPsbt(account, [ours(0)], [
      { script: pay.script, value: 90_000 },
      { script: opReturn, value: 0 },
      { script: bareMultisig, value: 1_000 },
      { script: futureSegwit, value: 1_000 },
    ]);
    const view = decodePsbtForApproval(psbt, account);
    expect(view.outputs[1]).toMatchObject({ scriptType: 'op_return', address: null, dataHex: 'deadbeef', scriptHex: '6a04deadbeef' });
    expect(view.outputs[2]).toMatchObject({ scriptType: 'unknown', address: null });
    expect(view.outputs[3]).toMatchObject({ scriptType: 'witness_unknown' });
    expect(codes(view)).toEqual(['OP_RETURN', 'UNKNOWN_SCRIPT_TYPE', 'UNKNOWN_SCRIPT_TYPE']);
  });

  it('warns when the fee is above 10% of the amount sent, and when the fee rate is absurd', () => {
    const expensive = decodePsbtForApproval(externalPsbt(account, [{ ...ours(0), value: 20_000 }], [{ script: pay.script, value: 15_000 }]), account);
    expect(expensive.fee).toBe(5_000);
    expect(codes(expensive)).toEqual(['FEE_ABOVE_10_PERCENT']);
    const absurd = decodePsbtForApproval(externalPsbt(account, [{ ...ours(0), value: 10_000_000 }], [{ script: pay.script, value: 1_000_000 }]), account);
    expect(absurd.feeRate).toBeGreaterThan(1000);
    expect(codes(absurd)).toEqual(['ABSURD_FEE_RATE', 'FEE_ABOVE_10_PERCENT']);
  });

  it('warns about a PSBT made for another network (key paths with another coin type, global xpubs of another version)', () => {
    const mainnet = testAccount('mainnet');
    const psbt = externalPsbt(mainnet, [ours(0)], [{ script: pay.script, value: 99_000 }]);
    // The card's mainnet keys decoded as a regtest account: same fingerprint, coin type 0.
    const view = decodePsbtForApproval(psbt, account);
    expect(codes(view)).toContain('NETWORK_MISMATCH');
    expect(view.cardSignatures).toBe(0);

    const built = buildSendPsbt(mainnet, { recipients: [{ address: mainnet.address(0, 9), amount: 10_000 }], feeRate: 1, utxos: [coin(mainnet, 20_000)], changeIndex: 0 });
    const regtestView = decodePsbtForApproval(built.psbt, account);
    expect(regtestView.warnings.filter((w) => w.code === 'NETWORK_MISMATCH').length).toBeGreaterThanOrEqual(2);
    expect(decodePsbtForApproval(built.psbt, mainnet).warnings).toEqual([]);
  });

  it('warns about inputs without witnessUtxo: the amount from the previous transaction, or unknown', () => {
    const fullTx = decodePsbtForApproval(externalPsbt(account, [{ ...ours(0), witnessUtxo: false, nonWitnessUtxo: true }], [{ script: pay.script, value: 99_000 }]), account);
    expect(fullTx.fee).toBe(1_000);
    expect(codes(fullTx)).toEqual(['MISSING_WITNESS_UTXO']);
    const unknown = decodePsbtForApproval(
      externalPsbt(account, [ours(0), { value: 5_000, owner: 'foreign', witnessUtxo: false }], [{ script: pay.script, value: 99_000 }]),
      account,
    );
    expect(unknown).toMatchObject({ inputsTotal: null, fee: null, feeRate: null });
    expect(unknown.inputs[1]).toMatchObject({ value: null, address: null, cardPath: null, willSign: false });
    expect(codes(unknown)).toEqual(['FEE_UNKNOWN', 'MISSING_WITNESS_UTXO']);
  });

  it('says when there is nothing for the card to sign, and which of the seed\'s coins it cannot sign', () => {
    const foreign = decodePsbtForApproval(externalPsbt(account, [{ value: 5_000, owner: 'foreign' }], [{ script: pay.script, value: 4_900 }]), account);
    expect(codes(foreign)).toEqual(['NOTHING_TO_SIGN']);
    const taproot = externalPsbt(account, [ours(0), { value: 5_000, owner: 'foreign', bip32Derivation: false }], [{ script: pay.script, value: 104_000 }]);
    taproot.updateInput(1, {
      tapBip32Derivation: [{ masterFingerprint: account.masterFingerprint, path: "m/86'/1'/0'/0/0", pubkey: account.publicKey(0, 0).subarray(1), leafHashes: [] }],
    });
    const view = decodePsbtForApproval(importPsbt(taproot.toBase64(), account.network), account);
    expect(codes(view)).toEqual(['CANNOT_SIGN']);
    expect(view.inputs[1]).toMatchObject({ cardPath: "m/86'/1'/0'/0/0", willSign: false });
  });

  it('refuses a PSBT whose outputs spend more than its inputs', () => {
    expect(() => decodePsbtForApproval(externalPsbt(account, [ours(0)], [{ script: pay.script, value: 100_001 }]), account)).toThrow(/code=INVALID_PSBT/);
  });
});
