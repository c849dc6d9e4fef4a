/**
 * From a send form to the coins to spend: recipients checked (address, network, amount, dust), then
 * a deterministic selection over the account's P2WPKH coins at a fee rate.
 *
 * Selection: (1) the smallest single coin that pays the recipients and the fee with no change, and
 * leaves less than a change output would be worth (a "branch-and-bound-lite" exact match); else
 * (2) largest first until the coins cover the amount and the fee. A change output is added only when
 * it would be at least the P2WPKH dust threshold (294 sat) after paying for itself; a smaller
 * remainder goes to the fee. Ties are broken by txid then vout, so the same coins always give the
 * same selection. `sendMax` spends every coin to one recipient, the fee taken from the amount.
 */
import { parseAddress, type ParsedAddress } from './addresses.ts';
import { requireSats, sumSats } from './amounts.ts';
import { isTxid } from './bytes.ts';
import { BtcError } from './errors.ts';
import { feeForVbytes, feeRateOf, p2wpkhTxWeight, requireFeeRate, weightToVbytes } from './fees.ts';
import type { BtcNetwork } from './networks.ts';
import type { AddressChain } from './paths.ts';
import { dustThreshold } from './scripts.ts';

/** A P2WPKH coin of the account. */
export interface SpendableUtxo {
  readonly txid: string;
  readonly vout: number;
  readonly value: number;
  readonly chain: AddressChain;
  readonly index: number;
}

export interface Recipient {
  readonly address: string;
  /** Satoshis (number, bigint or decimal digits). Left out with `sendMax`. */
  readonly amount?: number | bigint | string;
}

export interface PlannedOutput extends ParsedAddress {
  readonly value: number;
}

export interface SelectionRequest<U extends SpendableUtxo = SpendableUtxo> {
  readonly network: BtcNetwork;
  readonly recipients: readonly Recipient[];
  /** sat/vB. */
  readonly feeRate: number;
  readonly utxos: readonly U[];
  /** Spend every coin to the one recipient, minus the fee. */
  readonly sendMax?: boolean;
}

export interface Selection<U extends SpendableUtxo = SpendableUtxo> {
  readonly inputs: readonly U[];
  readonly recipients: readonly PlannedOutput[];
  /** The change amount, 0 when there is no change output. */
  readonly change: number;
  readonly fee: number;
  /** Estimated virtual size after signing (upper bound). */
  readonly vbytes: number;
  readonly feeRate: number;
}

/** A P2WPKH change output: OP_0 PUSH20 <hash>. */
export const P2WPKH_SCRIPT_LENGTH = 22;
export const P2WPKH_DUST = 294;
export const MAX_RECIPIENTS = 1000;

/** The recipients as outputs, or the first typed error: INVALID_ADDRESS, WRONG_NETWORK, INVALID_AMOUNT, AMOUNT_OVERFLOW, DUST_OUTPUT. */
export function checkRecipients(recipients: readonly Recipient[], network: BtcNetwork, options: { readonly sendMax?: boolean } = {}): PlannedOutput[] {
  if (!Array.isArray(recipients) || recipients.length === 0) throw new BtcError('INVALID_ARGUMENT', 'no recipient', { field: 'recipients' });
  if (recipients.length > MAX_RECIPIENTS) throw new BtcError('INVALID_ARGUMENT', `at most ${MAX_RECIPIENTS} recipients`, { field: 'recipients' });
  if (options.sendMax && recipients.length !== 1) {
    throw new BtcError('INVALID_ARGUMENT', 'sending the whole balance takes exactly one recipient', { field: 'recipients', count: recipients.length });
  }
  const outputs = recipients.map((recipient, i) => {
    const field = `recipients[${i}]`;
    const parsed = parseAddress(recipient?.address, network, `${field}.address`);
    if (options.sendMax) return { ...parsed, value: 0 };
    if (recipient.amount === undefined) throw new BtcError('INVALID_AMOUNT', 'no amount given', { field: `${field}.amount`, reason: 'missing' });
    const value = requireSats(recipient.amount, `${field}.amount`);
    requireAboveDust(parsed, value, `${field}.amount`);
    return { ...parsed, value };
  });
  sumSats(
    outputs.map((o) => o.value),
    'recipients total',
  );
  return outputs;
}

function requireAboveDust(output: ParsedAddress, value: number, field: string): void {
  const threshold = dustThreshold(output.script);
  if (value < threshold) {
    throw new BtcError('DUST_OUTPUT', `${value} sat is below the dust threshold of a ${output.type} output (${threshold} sat)`, {
      field,
      value,
      threshold,
      scriptType: output.type,
    });
  }
}

/** The coins, checked: txid, vout, a positive amount, no outpoint twice. */
function checkUtxos<U extends SpendableUtxo>(utxos: readonly U[]): U[] {
  if (!Array.isArray(utxos)) throw new BtcError('INVALID_ARGUMENT', 'no coins given', { field: 'utxos' });
  const seen = new Set<string>();
  for (const [i, utxo] of utxos.entries()) {
    if (!isTxid(utxo?.txid) || !Number.isInteger(utxo.vout) || utxo.vout < 0 || utxo.vout > 0xffffffff) {
      throw new BtcError('INVALID_ARGUMENT', 'malformed coin (txid, vout)', { field: `utxos[${i}]` });
    }
    requireSats(utxo.value, `utxos[${i}].value`);
    const outpoint = `${utxo.txid}:${utxo.vout}`;
    if (seen.has(outpoint)) throw new BtcError('INVALID_ARGUMENT', 'the same coin is listed twice', { field: `utxos[${i}]`, outpoint });
    seen.add(outpoint);
  }
  sumSats(
    utxos.map((u) => u.value),
    'utxos total',
  );
  return [...utxos];
}

function byValueThenOutpoint(a: SpendableUtxo, b: SpendableUtxo): number {
  return b.value - a.value || (a.txid < b.txid ? -1 : a.txid > b.txid ? 1 : 0) || a.vout - b.vout;
}

export function selectCoins<U extends SpendableUtxo>(request: SelectionRequest<U>): Selection<U> {
  const recipients = checkRecipients(request.recipients, request.network, { sendMax: request.sendMax === true });
  const feeRate = requireFeeRate(request.feeRate);
  const utxos = checkUtxos(request.utxos).sort(byValueThenOutpoint);
  const available = utxos.reduce((sum, u) => sum + u.value, 0);
  const recipientScripts = recipients.map((r) => r.script.length);
  const feeOf = (inputs: number, withChange: boolean) =>
    feeForVbytes(weightToVbytes(p2wpkhTxWeight(inputs, withChange ? [...recipientScripts, P2WPKH_SCRIPT_LENGTH] : recipientScripts)), feeRate);
  const vbytesOf = (inputs: number, withChange: boolean) =>
    weightToVbytes(p2wpkhTxWeight(inputs, withChange ? [...recipientScripts, P2WPKH_SCRIPT_LENGTH] : recipientScripts));

  if (request.sendMax) {
    const fee = feeOf(utxos.length, false);
    const amount = available - fee;
    if (utxos.length === 0 || amount <= 0) {
      throw new BtcError('INSUFFICIENT_FUNDS', 'the coins do not cover the fee', { needed: fee, available });
    }
    const recipient = recipients[0]!;
    requireAboveDust(recipient, amount, 'recipients[0].amount');
    const vbytes = vbytesOf(utxos.length, false);
    return { inputs: utxos, recipients: [{ ...recipient, value: amount }], change: 0, fee, vbytes, feeRate: feeRateOf(fee, vbytes) };
  }

  const target = recipients.reduce((sum, r) => sum + r.value, 0);
  const done = (inputs: U[], total: number): Selection<U> => {
    const change = total - target - feeOf(inputs.length, true);
    const withChange = change >= P2WPKH_DUST;
    const fee = withChange ? feeOf(inputs.length, true) : total - target;
    const vbytes = vbytesOf(inputs.length, withChange);
    return { inputs, recipients, change: withChange ? change : 0, fee, vbytes, feeRate: feeRateOf(fee, vbytes) };
  };

  // (1) One coin that fits without change: at least amount + fee, less than amount + fee with change + dust.
  const low = target + feeOf(1, false);
  const high = target + feeOf(1, true) + P2WPKH_DUST;
  for (let i = utxos.length - 1; i >= 0; i -= 1) {
    const utxo = utxos[i]!;
    if (utxo.value >= low && utxo.value < high) return done([utxo], utxo.value);
    if (utxo.value >= high) break;
  }

  // (2) Largest first.
  const chosen: U[] = [];
  let total = 0;
  for (const utxo of utxos) {
    chosen.push(utxo);
    total += utxo.value;
    if (total >= target + feeOf(chosen.length, false)) return done(chosen, total);
  }
  const needed = target + feeOf(Math.max(1, utxos.length), false);
  throw new BtcError('INSUFFICIENT_FUNDS', 'the coins do not cover the amount and the fee', { needed, available, amount: target });
}
