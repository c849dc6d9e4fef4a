/** Maps any error thrown below the bridge onto the bridge's closed code list. */
import { BridgeError, isBridgeErrorCode } from '../../preload/contract.ts';
import { isDriverError } from '../../drivers/errors.ts';
import { isKeycardError } from '../../drivers/keycard/errors.ts';
import { isSatochipError } from '../../drivers/satochip/errors.ts';
import { isApprovalError } from '../core/approvals/broker.ts';
import { isBackupError } from '../core/backup/errors.ts';
import { isChainError } from '../core/chains/errors.ts';
import { CardNotUnlockedError } from '../core/signing/errors.ts';
import { isBtcError } from '../core/wallets/btc/errors.ts';
import { isEthError } from '../core/wallets/eth/errors.ts';

const SET_UP_KEYCARD = 'A new Keycard: set it up on the "New Keycard wallet" screen (tick "Set up new Keycards"), or with tapdesk keycard init --reader NAME.';

export function toBridgeError(error: unknown): BridgeError {
  if (error instanceof BridgeError) return error;
  if (isDriverError(error)) {
    const code = error.code === 'BAD_APDU' ? 'INTERNAL' : error.code;
    return new BridgeError(isBridgeErrorCode(code) ? code : 'INTERNAL', error.message, error.hint);
  }
  if (isSatochipError(error) || isKeycardError(error)) {
    if (error.code === 'PIN_INVALID') return new BridgeError('PIN_INVALID', `wrong PIN, ${error.info.triesLeft ?? '?'} tries left`, 'Check the PIN; it is never retried automatically.');
    if (error.code === 'PIN_BLOCKED') return new BridgeError('PIN_BLOCKED', 'the PIN is blocked', 'Unblock it with the PUK.');
    if (error.code === 'INVALID_ARGUMENT') return new BridgeError('INVALID_INPUT', error.message);
    if (error.code === 'NOT_INITIALIZED') return new BridgeError('CARD_ERROR', error.message, SET_UP_KEYCARD);
    if (error.code === 'NO_FREE_PAIRING_SLOT') return new BridgeError('CARD_ERROR', error.message, 'Unpair an old host first (tapdesk keycard unpair), or factory reset the card.');
    if (error.code === 'PAIRING_FAILED') return new BridgeError('CARD_ERROR', error.message, 'The pairing password is not the card\'s (or this is not a genuine Keycard).');
    return new BridgeError('CARD_ERROR', error.message);
  }
  if (isApprovalError(error)) return new BridgeError(error.code === 'INVALID_PIN' ? 'INVALID_INPUT' : 'REJECTED', error.message);
  if (isEthError(error)) {
    const fromCard = error.code === 'BAD_CARD_KEY' || error.code === 'BAD_SIGNATURE' || error.code === 'SIGNER_MISMATCH';
    const fromChain = error.code === 'BAD_CHAIN_DATA' || error.code === 'TRANSACTION_REVERTED';
    return new BridgeError(fromCard ? 'CARD_ERROR' : fromChain ? 'BACKEND_ERROR' : 'INVALID_INPUT', error.message);
  }
  if (isBtcError(error)) {
    const fromCard = error.code === 'SIGNATURE_INVALID' || error.code === 'ADDRESS_MISMATCH' || error.code === 'SCHNORR_UNSUPPORTED';
    return new BridgeError(fromCard ? 'CARD_ERROR' : 'INVALID_INPUT', error.message);
  }
  if (isBackupError(error)) {
    // The flow's own decisions: its sentence without the (code=..., ...) tail, and what to do about it.
    const message = error.message.replace(/ \(code=[\s\S]*\)$/, '');
    const hints: Partial<Record<typeof error.code, string>> = {
      WRONG_CARD: 'Put the right card on that reader (each card is recognised by its instance UID), or use one reader and swap when asked.',
      TARGET_SEEDED: 'Use a card without a wallet, or tick "replace a wallet already on a card" only if that wallet is backed up elsewhere.',
      VERIFY_FAILED: 'The two cards do not hold the same wallet: do not rely on either; start again.',
      CARD_NOT_SET_UP: SET_UP_KEYCARD,
    };
    return new BridgeError('CARD_ERROR', message, hints[error.code]);
  }
  if (error instanceof CardNotUnlockedError) return new BridgeError('CARD_LOCKED', error.message, 'Unlock the card on the Accounts screen first.');
  if (isChainError(error)) return new BridgeError(error.code === 'INVALID_ARGUMENT' ? 'INVALID_INPUT' : 'BACKEND_ERROR', error.message);
  // Unknown failures are not described to the renderer beyond a generic message (no stack, no paths).
  return new BridgeError('INTERNAL', 'internal error in the main process');
}
