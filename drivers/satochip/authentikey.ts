/**
 * Which authentikey this secure channel is bound to (../shared/protocols/satochip-seedkeeper.md
 * sections 3.1 and 5.2).
 *
 * The authentikey is the card's long-lived identity key: it signs the channel init (sig2), every
 * derived key (5.3) and its own x in the EXPORT/GET AUTHENTIKEY and IMPORT SEED answers. A Satochip
 * INIT SC answer does not include it, so when the caller has not pinned one we start from the keys
 * that can have made sig2 (ECDSA public-key recovery: normally two) and settle on the one the card
 * shows or uses next. From then on, everything authentikey-signed must verify with that one key,
 * else AUTHENTIKEY_MISMATCH. Whether that key is the *expected card* is the caller's call: pin it
 * (initSecureChannel({ authentikey })) once known, and check the PKI certificate (section 6).
 */
import { bytesEqual } from './bytes.ts';
import { pointFromX, verifySha256Signature } from './card-signatures.ts';
import { SatochipError, badResponse } from './errors.ts';

function mismatch(reason: string): SatochipError {
  return new SatochipError('AUTHENTIKEY_MISMATCH', 'signed by a key other than the authentikey of this channel', { reason });
}

export class AuthentikeyBinding {
  private known: Uint8Array | null;
  private candidates: readonly Uint8Array[];

  /** `known` (65 bytes) when pinned or sent by the card; else the candidates recovered from sig2. */
  constructor(known: Uint8Array | null, candidates: readonly Uint8Array[]) {
    this.known = known;
    this.candidates = known ? [known] : candidates;
  }

  /** The 65-byte authentikey once established, else null. */
  get authentikey(): Uint8Array | null {
    return this.known;
  }

  /**
   * An authentikey the card states as x with its own signature over `message` (AD, 73, 6C answers).
   * Rebuilds the point (parity that verifies), and requires it to be the channel's key.
   */
  acceptStated(x: Uint8Array, message: Uint8Array, signature: Uint8Array, what: string): Uint8Array {
    const point = pointFromX(x, message, signature);
    if (!point) throw badResponse(`${what}: the authentikey signature does not verify with either parity of x`, what);
    if (!this.candidates.some((candidate) => bytesEqual(candidate, point))) {
      throw mismatch(`${what}: the authentikey the card states did not sign this secure channel`);
    }
    this.known = point;
    this.candidates = [point];
    return point;
  }

  /** Something the authentikey signed (ECDSA-SHA256 over `message`), e.g. sig2 of GET EXTENDED KEY. */
  verify(message: Uint8Array, signature: Uint8Array, what: string): void {
    const signers = this.candidates.filter((candidate) => verifySha256Signature(candidate, message, signature));
    if (signers.length === 0) throw mismatch(`${what}: not signed by the authentikey of this channel`);
    if (signers.length === 1 && !this.known) {
      this.known = signers[0]!;
      this.candidates = [this.known];
    }
  }
}
