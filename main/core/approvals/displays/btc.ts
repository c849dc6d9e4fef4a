/**
 * ApprovalDisplay for a Bitcoin PSBT, from main's own decoding (main/core/wallets/btc/decode.ts):
 * every output with its address (or what it is) and amount, change only when proved by derivation,
 * inputs total, fee and fee rate; warnings first.
 */
import type { ApprovalDisplay } from '../../../../preload/approval-contract.ts';
import type { ApprovalWarningCode, BtcApprovalView } from '../../wallets/btc/decode.ts';
import { formatBtc } from '../../wallets/btc/amounts.ts';

type Row = ApprovalDisplay['sections'][number]['rows'][number];

const DANGER: ReadonlySet<ApprovalWarningCode> = new Set(['ABSURD_FEE_RATE', 'NETWORK_MISMATCH', 'UNPROVEN_KEY_CLAIM']);

export function btcPsbtDisplay(view: BtcApprovalView, card: string, unit: string, action = 'Sign and broadcast'): ApprovalDisplay {
  const amount = (sats: number) => `${formatBtc(sats)} ${unit}`;
  const outputs: Row[] = view.outputs.map((output) => {
    const where = output.address ?? (output.dataHex !== null ? `OP_RETURN data 0x${output.dataHex}` : `unknown script ${output.scriptHex}`);
    if (output.change) return { label: `Change back to this card (${output.path})`, value: `${amount(output.value)} to ${where}`, tone: 'change', mono: false };
    if (output.toSelf) return { label: `To this card (${output.path})`, value: `${amount(output.value)} to ${where}`, mono: false };
    return { label: `Output ${output.index + 1}`, value: `${amount(output.value)} to ${where}`, mono: output.address !== null, tone: output.address === null ? 'warning' : 'normal' };
  });
  return {
    title: `Send on ${view.networkLabel}`,
    subtitle: card,
    warnings: view.warnings.map((w) => ({ severity: DANGER.has(w.code) ? 'danger' : 'caution', text: w.message })),
    sections: [
      { heading: 'Outputs', rows: outputs },
      {
        heading: 'Amounts and fee',
        rows: [
          { label: 'Sent (not counting change)', value: amount(view.sent) },
          { label: 'Inputs total', value: view.inputsTotal === null ? 'unknown' : amount(view.inputsTotal) },
          { label: 'Fee', value: view.fee === null ? 'unknown' : amount(view.fee), tone: view.warnings.some((w) => w.code === 'FEE_ABOVE_10_PERCENT' || w.code === 'ABSURD_FEE_RATE') ? 'warning' : 'normal' },
          { label: 'Fee rate', value: view.feeRate === null ? 'unknown' : `${view.feeRate.toFixed(1)} sat/vB (${view.vbytes} vB${view.vbytesEstimated ? ', estimated' : ''})` },
        ],
      },
      {
        heading: 'Inputs the card signs',
        rows: view.inputs.map((input) => ({ label: `Input ${input.index + 1}${input.cardPath ? ` (${input.cardPath})` : ''}`, value: `${input.value === null ? '?' : amount(input.value)} from ${input.txid}:${input.vout}${input.willSign ? '' : ' (not signed by this card)'}`, mono: true })),
      },
      { heading: 'Network', rows: [{ label: 'Network', value: view.networkLabel }, { label: 'Replace-by-fee', value: view.rbf ? 'yes' : 'no' }] },
    ],
    action,
    cardHint: `The card signs ${view.cardSignatures} input${view.cardSignatures === 1 ? '' : 's'}: keep it on the reader until it has finished.`,
  };
}
