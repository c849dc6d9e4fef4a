/**
 * Send ETH with the card: main builds the EIP-1559 transaction from the chain's nonce and fee
 * suggestion, refuses bad input and insufficient funds before anything is shown, decodes it for the
 * approval window, and only after the approval (with the PIN) opens the card, signs (the recovered
 * sender must be the card's address), broadcasts and waits for the receipt.
 */
import { withApprovedCard } from './approved-card.ts';
import type { EthereumRpcClient } from '../chains/ethereum-rpc.ts';
import type { ApprovalBroker } from '../approvals/broker.ts';
import { ethTransactionDisplay } from '../approvals/displays/eth.ts';
import type { ReaderService } from '../readers.ts';
import type { CardAccounts } from '../wallets/card-accounts.ts';
import { describeTransaction } from '../wallets/eth/decode.ts';
import { EthError } from '../wallets/eth/errors.ts';
import { parseAddress, parseEtherAmount } from '../wallets/eth/fields.ts';
import type { EthNetwork } from '../wallets/eth/networks.ts';
import { broadcast, prepareSend } from '../wallets/eth/send.ts';
import { signTransaction } from '../wallets/eth/transaction.ts';
import { CardNotUnlockedError } from './errors.ts';

export interface EthChain {
  readonly network: EthNetwork;
  readonly rpc: EthereumRpcClient;
}

export interface EthSendRequest {
  readonly reader: string;
  readonly to: string;
  /** Decimal ETH, e.g. "0.05". */
  readonly value: string;
  /** Calldata for a contract call, 0x-hex (decoded for the approval window: ERC-20 or raw with a warning). */
  readonly data?: string;
}

export type EthSendStep = 'preparing' | 'waiting-approval' | 'signing' | 'broadcasting' | 'confirming' | 'confirmed';

export interface EthSendResult {
  readonly hash: string;
  readonly from: string;
  readonly blockNumber: number;
  readonly gasUsed: string;
}

export interface EthSendCore {
  readonly readers: Pick<ReaderService, 'snapshot' | 'withSession'>;
  readonly approvals: ApprovalBroker;
  readonly accounts: CardAccounts;
}

export async function sendEth(core: EthSendCore, chain: EthChain, request: EthSendRequest, onStep: (step: EthSendStep) => void = () => undefined): Promise<EthSendResult> {
  onStep('preparing');
  const value = parseEtherAmount(request.value, 'value'); // the form is refused before anything else
  parseAddress(request.to, 'to');
  if (value === 0n && (request.data === undefined || request.data === '0x')) throw new EthError('ZERO_VALUE', 'send more than 0 ETH', { field: 'value' });
  const wallets = await core.accounts.on(request.reader);
  if (!wallets) throw new CardNotUnlockedError(request.reader);
  // Nonce, fees, gas and funds from the chain (wallet layer); the backend must be on the network.
  const prepared = await prepareSend(chain.rpc, chain.network, wallets.eth, { to: request.to, value, ...(request.data === undefined ? {} : { data: request.data }) });
  const view = describeTransaction(prepared.tx, chain.network, { account: wallets.eth });
  onStep('waiting-approval');
  // Exactly the unsigned serialization the approval window showed is signed.
  const signed = await withApprovedCard(
    core,
    { reader: request.reader, kind: 'eth-transaction', display: (card) => ethTransactionDisplay(view, card), expectedCardId: wallets.cardId },
    ({ signer }) => (onStep('signing'), signTransaction(signer, wallets.eth, view.unsigned, chain.network)),
  );
  onStep('broadcasting');
  const sent = await broadcast(chain.rpc, chain.network, wallets.eth, signed.raw, { wait: false });
  onStep('confirming');
  const receipt = await chain.rpc.waitForReceipt(sent.hash);
  if (receipt.status !== 1) throw new EthError('TRANSACTION_REVERTED', 'the transaction was mined but reverted', { hash: sent.hash });
  onStep('confirmed');
  return { hash: sent.hash, from: signed.from, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed.toString() };
}
