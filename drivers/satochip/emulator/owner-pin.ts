/**
 * javacard.framework.OwnerPIN as the applets use it for the PIN and the PUK (section 4): a try
 * limit fixed when the object is made, a try counter decremented *before* each comparison and
 * restored to the limit on success, and a `validated` flag that SELECT, power loss, LOGOUT ALL and
 * `update` clear.
 */
import { equal } from './bytes.ts';

export class OwnerPin {
  private value: Uint8Array = new Uint8Array(0);
  private tries: number;
  private validatedFlag = false;

  constructor(readonly tryLimit: number) {
    this.tries = tryLimit & 0xff;
  }

  get triesRemaining(): number {
    return this.tries;
  }

  get validated(): boolean {
    return this.validatedFlag;
  }

  /** `check`: false without comparing once the counter is 0. */
  check(candidate: Uint8Array): boolean {
    this.validatedFlag = false;
    if (this.tries === 0) return false;
    this.tries -= 1;
    if (!equal(candidate, this.value)) return false;
    this.tries = this.tryLimit & 0xff;
    this.validatedFlag = true;
    return true;
  }

  /** New value; the counter goes back to the limit and the PIN is no longer validated. */
  update(value: Uint8Array): void {
    this.value = value.slice();
    this.tries = this.tryLimit & 0xff;
    this.validatedFlag = false;
  }

  /** `reset`: if validated, clear the flag and restore the counter. */
  reset(): void {
    if (!this.validatedFlag) return;
    this.validatedFlag = false;
    this.tries = this.tryLimit & 0xff;
  }

  /** `resetAndUnblock` (UNBLOCK PIN). */
  resetAndUnblock(): void {
    this.validatedFlag = false;
    this.tries = this.tryLimit & 0xff;
  }
}

/** `CheckPINPolicy`: 4 to 16 bytes (section 4.1, 12). */
export function pinPolicyOk(length: number): boolean {
  return length >= 4 && length <= 16;
}
