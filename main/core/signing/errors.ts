/** Errors of the signing services themselves (the layers below keep theirs). */
import { formatErrorMessage } from '../../../drivers/errors.ts';

/** The card on the reader has not been unlocked in this app session (its public keys are unknown). */
export class CardNotUnlockedError extends Error {
  readonly code = 'CARD_NOT_UNLOCKED';
  constructor(
    readonly reader: string,
    reason = 'unlock the card with its PIN first (Accounts), so Tapdesk knows its addresses',
  ) {
    super(formatErrorMessage('CARD_NOT_UNLOCKED', 'the card is not unlocked', { reader, reason }));
    this.name = 'CardNotUnlockedError';
  }
}
