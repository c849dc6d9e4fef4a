/**
 * A PSBT from a send form. Every input carries its witnessUtxo and a bip32Derivation with the card's
 * master fingerprint and full path, and the change output a bip32Derivation too, so Sparrow, Bitcoin
 * Core or another signer recognise the card's keys and our change; the account xpub goes in the
 * global map (PSBT_GLOBAL_XPUB). Inputs and outputs are in BIP69 order (deterministic, and the change
 * is not always last). Every check runs before anything is built: nothing here touches the card.
 */
import { createBase58check } from '@scure/base';
import { sha256 } from '@noble/hashes/sha2.js';
import type { Psbt } from 'bitcoinjs-lib';
import type { Bip84Account } from './account.ts';
import { compareBytes } from './bytes.ts';
import { selectCoins, type Recipient, type Selection, type SpendableUtxo } from './coin-selection.ts';
import { BtcError } from './errors.ts';
import { CHANGE, requireIndex } from './paths.ts';
import { newPsbt } from './psbt-codec.ts';

/** Opt-in replace-by-fee (BIP125). */
export const SEQUENCE_RBF = 0xfffffffd;
/** Final, but still lets nLockTime apply. */
export const SEQUENCE_LOCKTIME = 0xfffffffe;
export const SEQUENCE_FINAL = 0xffffffff;

export interface SendRequest<U extends SpendableUtxo = SpendableUtxo> {
  readonly recipients: readonly Recipient[];
  /** sat/vB. */
  readonly feeRate: number;
  /** The account's coins (from listUtxos). */
  readonly utxos: readonly U[];
  /** The index of a fresh change address (from discovery: change.nextIndex). */
  readonly changeIndex: number;
  /** Spend every coin to the one recipient. */
  readonly sendMax?: boolean;
  /** Signal replace-by-fee (default true). */
  readonly rbf?: boolean;
  /** nLockTime (default 0); a recent block height discourages fee sniping. */
  readonly locktime?: number;
}

export interface BuiltPsbt<U extends SpendableUtxo = SpendableUtxo> {
  readonly psbt: Psbt;
  readonly selection: Selection<U>;
  /** Where the change went, or null when there is none. */
  readonly change: { readonly outputIndex: number; readonly path: string; readonly address: string; readonly value: number } | null;
}

const base58check = createBase58check(sha256);

export function buildSendPsbt<U extends SpendableUtxo>(account: Bip84Account, request: SendRequest<U>): BuiltPsbt<U> {
  const changeIndex = requireIndex(request.changeIndex, 'changeIndex');
  const locktime = request.locktime ?? 0;
  if (!Number.isInteger(locktime) || locktime < 0 || locktime > 0xffffffff) {
    throw new BtcError('INVALID_ARGUMENT', 'locktime must be a 32-bit unsigned integer', { field: 'locktime', value: String(locktime) });
  }
  for (const [i, utxo] of (request.utxos ?? []).entries()) {
    if ((utxo?.chain !== 0 && utxo?.chain !== 1) || !Number.isInteger(utxo.index) || utxo.index < 0) {
      throw new BtcError('INVALID_ARGUMENT', 'a coin without its place in the account (chain, index)', { field: `utxos[${i}]` });
    }
  }
  const selection = selectCoins({
    network: account.network,
    recipients: request.recipients,
    feeRate: request.feeRate,
    utxos: request.utxos,
    sendMax: request.sendMax === true,
  });
  const sequence = request.rbf === false ? (locktime > 0 ? SEQUENCE_LOCKTIME : SEQUENCE_FINAL) : SEQUENCE_RBF;

  const psbt = newPsbt(account.network);
  psbt.setVersion(2);
  psbt.setLocktime(locktime);
  psbt.updateGlobal({
    globalXpub: [{ extendedPubkey: base58check.decode(account.xpub), masterFingerprint: account.masterFingerprint, path: account.path }],
  });

  const inputs = [...selection.inputs].sort((a, b) => (a.txid < b.txid ? -1 : a.txid > b.txid ? 1 : a.vout - b.vout));
  type Out = { script: Uint8Array; value: number; change: boolean };
  const outputs: Out[] = selection.recipients.map((r) => ({ script: r.script, value: r.value, change: false }));
  if (selection.change > 0) outputs.push({ script: account.script(CHANGE, changeIndex), value: selection.change, change: true });
  outputs.sort((a, b) => a.value - b.value || compareBytes(a.script, b.script));
  const changePath = account.keyPath(CHANGE, changeIndex);

  // The transaction first, the PSBT fields after: bitcoinjs-lib re-checks every existing input (a
  // taproot test per input) each time an input or output is added, which is quadratic once inputs
  // carry their witnessUtxo.
  psbt.addInputs(inputs.map((utxo) => ({ hash: utxo.txid, index: utxo.vout, sequence })));
  psbt.addOutputs(outputs.map((o) => ({ script: o.script, value: BigInt(o.value) })));
  inputs.forEach((utxo, i) => {
    psbt.updateInput(i, {
      witnessUtxo: { script: account.script(utxo.chain, utxo.index), value: BigInt(utxo.value) },
      bip32Derivation: [{ masterFingerprint: account.masterFingerprint, path: account.keyPath(utxo.chain, utxo.index), pubkey: account.publicKey(utxo.chain, utxo.index) }],
    });
  });
  outputs.forEach((o, i) => {
    if (o.change) {
      psbt.updateOutput(i, { bip32Derivation: [{ masterFingerprint: account.masterFingerprint, path: changePath, pubkey: account.publicKey(CHANGE, changeIndex) }] });
    }
  });
  const changeAt = outputs.findIndex((o) => o.change);
  return {
    psbt,
    selection,
    change: changeAt < 0 ? null : { outputIndex: changeAt, path: changePath, address: account.address(CHANGE, changeIndex), value: selection.change },
  };
}
