/**
 * The one order every signing service follows (DESIGN.md "Approvals"): main shows its own decoding
 * of the request in the approval window, naming the card on the reader; only the approval's PIN
 * opens the card (verified once, never retried), and `work` signs in that card session. Nothing
 * touches the card before the approval.
 */
import type { ApprovalDisplay } from '../../../preload/approval-contract.ts';
import type { ApprovalBroker, ApprovalKind } from '../approvals/broker.ts';
import type { ReaderService } from '../readers.ts';
import { type OpenedCard, describeCard, withUnlockedCard } from '../wallets/card-session.ts';

export interface ApprovedCardRequest {
  readonly reader: string;
  readonly kind: ApprovalKind;
  /** The window's content, given the card line ("Satochip on READER - demo card"). */
  readonly display: (card: string) => ApprovalDisplay;
  /** The card that was unlocked for this request (another card on the reader is refused). */
  readonly expectedCardId?: string;
}

export async function withApprovedCard<T>(
  core: { readonly readers: Pick<ReaderService, 'snapshot' | 'withSession'>; readonly approvals: Pick<ApprovalBroker, 'approval'> },
  request: ApprovedCardRequest,
  work: (card: OpenedCard) => Promise<T>,
): Promise<T> {
  const pin = await core.approvals.approval(request.kind, request.display(describeCard(core.readers, request.reader)), true);
  return withUnlockedCard(core.readers, request.reader, pin!, work, request.expectedCardId === undefined ? {} : { expectedCardId: request.expectedCardId });
}
