/**
 * The card-to-card flows' own errors (backup Seedkeeper -> Seedkeeper, restore Satochip from
 * Seedkeeper). Card and reader failures stay SatochipError / DriverError; these are the flow's
 * decisions, with named facts in the message.
 */
import { CodedError, codedErrorGuard } from '../../../drivers/errors.ts';

export type BackupErrorCode =
  /** Both roles are the same physical card (same authentikey). */
  | 'SAME_CARD'
  /** The card presented is not the one this role already is (authentikey), or not the right product. */
  | 'WRONG_CARD'
  /** The card must be set up (PIN) before it can take part. */
  | 'CARD_NOT_SET_UP'
  /** A copied secret does not have the original's fingerprint, or is missing at the final check. */
  | 'FINGERPRINT_MISMATCH'
  | 'NOTHING_TO_COPY'
  /** Restore: the Seedkeeper holds several master seeds; say which (sid). */
  | 'CHOOSE_SECRET'
  /** Restore: the chosen secret's export rights forbid any export. */
  | 'EXPORT_NOT_ALLOWED'
  /** Restore: the Satochip already has a seed (reset it first). */
  | 'TARGET_SEEDED'
  /** Restore: the Satochip derives another key than the Seedkeeper's seed. */
  | 'VERIFY_FAILED';

export interface BackupErrorInfo {
  readonly role?: string;
  readonly reader?: string;
  readonly sid?: number;
  readonly expected?: string;
  readonly actual?: string;
  readonly reason?: string;
}

export class BackupError extends CodedError<BackupErrorCode, BackupErrorInfo> {
  constructor(code: BackupErrorCode, message: string, info: BackupErrorInfo = {}) {
    super('BackupError', code, message, info);
  }
}

export const isBackupError = codedErrorGuard(BackupError);
