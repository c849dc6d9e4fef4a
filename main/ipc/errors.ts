/** Maps any error thrown below the bridge onto the bridge's closed code list. */
import { BridgeError, isBridgeErrorCode } from '../../preload/contract.ts';
import { isDriverError } from '../../drivers/errors.ts';

export function toBridgeError(error: unknown): BridgeError {
  if (error instanceof BridgeError) return error;
  if (isDriverError(error)) {
    const code = error.code === 'BAD_APDU' ? 'INTERNAL' : error.code;
    return new BridgeError(isBridgeErrorCode(code) ? code : 'INTERNAL', error.message, error.hint);
  }
  // Unknown failures are not described to the renderer beyond a generic message (no stack, no paths).
  return new BridgeError('INTERNAL', 'internal error in the main process');
}
