/**
 * ApprovalDisplay for Ethereum requests, from the views main decoded itself
 * (main/core/wallets/eth/decode.ts): every value the card will sign over is shown, warnings first.
 */
import type { ApprovalDisplay } from '../../../../preload/approval-contract.ts';
import type { EthTransactionView, EthTypedDataView, EthWarning, EthWarningCode } from '../../wallets/eth/decode.ts';

type Row = ApprovalDisplay['sections'][number]['rows'][number];

/** Warnings that must stop a careless click (shown as danger); the rest are cautions. */
const DANGER: ReadonlySet<EthWarningCode> = new Set(['UNLIMITED_APPROVAL', 'TOKEN_TO_ITSELF', 'BURN_ADDRESS', 'TOKEN_PERMIT', 'NO_DOMAIN_CHAIN_ID', 'BLIND_MESSAGE']);

function warnings(list: readonly EthWarning[]): ApprovalDisplay['warnings'] {
  return list.map((w) => ({ severity: DANGER.has(w.code) ? 'danger' : 'caution', text: w.message }));
}

function networkLabel(view: { network: { name: string; chainId: number; testnet: boolean } }): string {
  return `${view.network.name} (chain id ${view.network.chainId})${view.network.testnet ? ', test network' : ''}`;
}

function callRows(view: EthTransactionView): Row[] {
  const call = view.call;
  switch (call.kind) {
    case 'none':
      return [{ label: 'Data', value: 'none (a plain ETH transfer)' }];
    case 'erc20-transfer':
      return [
        { label: 'Call', value: 'ERC-20 transfer' },
        { label: 'Token contract', value: call.token, mono: true },
        { label: 'Token recipient', value: call.recipient, mono: true },
        { label: 'Token amount', value: call.tokenAmount.formatted ? `${call.tokenAmount.formatted} ${call.tokenAmount.symbol ?? ''}`.trim() : `${call.tokenAmount.units} (smallest units)` },
      ];
    case 'erc20-approve':
      return [
        { label: 'Call', value: 'ERC-20 approve (lets the spender move your tokens)', tone: 'warning' },
        { label: 'Token contract', value: call.token, mono: true },
        { label: 'Spender', value: call.spender, mono: true },
        { label: 'Allowance', value: call.unlimited ? 'UNLIMITED' : call.tokenAmount.formatted ? `${call.tokenAmount.formatted} ${call.tokenAmount.symbol ?? ''}`.trim() : `${call.tokenAmount.units} (smallest units)`, tone: 'warning' },
      ];
    case 'deploy':
      return [
        { label: 'Call', value: `deploys a new contract (${call.bytes} bytes of code)`, tone: 'warning' },
        { label: 'Code', value: call.data, mono: true },
      ];
    case 'unknown':
      return [
        { label: 'Call', value: `unknown contract call${call.selector ? ` (selector ${call.selector})` : ''}, ${call.bytes} bytes`, tone: 'warning' },
        { label: 'Data', value: call.data, mono: true },
      ];
  }
}

export function ethTransactionDisplay(view: EthTransactionView, card: string, action = 'Sign and send'): ApprovalDisplay {
  const fees: Row[] = view.maxFeePerGas
    ? [
        { label: 'Max fee per gas', value: `${view.maxFeePerGas.gwei} gwei` },
        { label: 'Max priority fee', value: `${view.maxPriorityFeePerGas?.gwei ?? '0'} gwei` },
      ]
    : [{ label: 'Gas price', value: `${view.gasPrice?.gwei ?? '?'} gwei` }];
  return {
    title: view.call.kind === 'none' ? `Send ETH on ${view.network.name}` : `Contract call on ${view.network.name}`,
    subtitle: card,
    warnings: warnings(view.warnings),
    sections: [
      {
        heading: 'Transaction',
        rows: [
          { label: 'From', value: view.from ?? 'this card', mono: view.from !== null },
          { label: 'To', value: view.to ?? '(new contract)', mono: view.to !== null },
          { label: 'Value', value: `${view.value.eth} ETH` },
          ...callRows(view),
        ],
      },
      {
        heading: 'Fee and network',
        rows: [
          { label: 'Network', value: networkLabel(view) },
          { label: 'Nonce', value: String(view.nonce) },
          { label: 'Gas limit', value: view.gasLimit },
          ...fees,
          { label: 'Max fee', value: `${view.maxFee.eth} ETH`, tone: view.warnings.some((w) => w.code === 'HIGH_FEE') ? 'warning' : 'normal' },
          { label: 'Max total', value: `${view.maxTotal.eth} ETH` },
        ],
      },
      { heading: 'What the card signs', rows: [{ label: 'Signing hash', value: view.signingHash, mono: true }] },
    ],
    action,
    cardHint: 'Keep the card on the reader until it has signed.',
  };
}

export function ethTypedDataDisplay(view: EthTypedDataView, card: string): ApprovalDisplay {
  return {
    title: `Sign typed data: ${view.primaryType} (EIP-712)`,
    subtitle: card,
    warnings: warnings(view.warnings),
    sections: [
      { heading: 'Domain', rows: view.domain.map((leaf) => ({ label: leaf.path, value: String(leaf.value), mono: leaf.type === 'address' || leaf.type.startsWith('bytes') })) },
      { heading: `Message (${view.primaryType})`, rows: view.fields.map((leaf) => ({ label: `${leaf.path} (${leaf.type})`, value: String(leaf.value), mono: leaf.type === 'address' || leaf.type.startsWith('bytes') })) },
      {
        heading: 'Hashes',
        rows: [
          { label: 'Domain separator', value: view.domainSeparator, mono: true },
          { label: 'Message hash', value: view.messageHash, mono: true },
          { label: 'Digest the card signs', value: view.digest, mono: true },
          { label: 'Network', value: networkLabel(view) },
        ],
      },
    ],
    action: 'Sign with the card',
    cardHint: 'Keep the card on the reader until it has signed.',
  };
}
