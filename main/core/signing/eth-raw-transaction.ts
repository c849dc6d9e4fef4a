/**
 * Sign an unsigned Ethereum transaction someone else built (hex of the unsigned serialization, or
 * JSON), with the card: main reads it exactly (canonical encoding, chain id of the network in use,
 * not already signed), decodes it for the approval window, and after the approval with the PIN the
 * card signs that exact serialization; the recovered sender must be the card. Optionally broadcast.
 */
import { withApprovedCard } from './approved-card.ts';
import type { ApprovalBroker } from '../approvals/broker.ts';
import { ethTransactionDisplay } from '../approvals/displays/eth.ts';
import type { ReaderService } from '../readers.ts';
import type { CardAccounts } from '../wallets/card-accounts.ts';
import { describeTransaction } from '../wallets/eth/decode.ts';
import { broadcast } from '../wallets/eth/send.ts';
import { signTransaction } from '../wallets/eth/transaction.ts';
import type { EthChain } from './eth-send.ts';
import { CardNotUnlockedError } from './errors.ts';

export interface RawTransactionResult {
  readonly raw: string;
  readonly hash: string;
  readonly from: string;
  readonly broadcast: boolean;
}

export async function signEthRawTransaction(
  core: { readonly readers: Pick<ReaderService, 'snapshot' | 'withSession'>; readonly approvals: ApprovalBroker; readonly accounts: CardAccounts },
  chain: EthChain,
  request: { readonly reader: string; readonly tx: string; readonly broadcast: boolean },
): Promise<RawTransactionResult> {
  const wallets = await core.accounts.on(request.reader);
  if (!wallets) throw new CardNotUnlockedError(request.reader);
  const view = describeTransaction(request.tx.trim(), chain.network, { account: wallets.eth }); // strict read first
  const action = request.broadcast ? 'Sign and send' : 'Sign';
  const signed = await withApprovedCard(
    core,
    { reader: request.reader, kind: 'eth-transaction', display: (card) => ethTransactionDisplay(view, card, action), expectedCardId: wallets.cardId },
    ({ signer }) => signTransaction(signer, wallets.eth, view.unsigned, chain.network),
  );
  if (request.broadcast) await broadcast(chain.rpc, chain.network, wallets.eth, signed.raw, { wait: false });
  return { raw: signed.raw, hash: signed.hash, from: signed.from, broadcast: request.broadcast };
}
