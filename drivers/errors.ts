/**
 * The one closed list of error codes the driver layer (readers, transports, cards) can raise.
 * Modelled on ethers v6: a `code` from a closed union, named fields in `info`, and `isDriverError`
 * to narrow. Messages name their fields (`reader="..."`), never secrets.
 */
export type DriverErrorCode =
  /** The PC/SC service (pcscd) is not running or not reachable. */
  | 'NO_PCSC'
  /** The native PC/SC binding (nfc-pcsc / libpcsclite) is not installed or failed to load. */
  | 'PCSC_UNAVAILABLE'
  /** No reader with that name is attached. */
  | 'NO_READER'
  /** The reader has no card in it. */
  | 'NO_CARD'
  /** The card left the reader before or during a command. */
  | 'CARD_REMOVED'
  /** A command did not complete within its timeout. */
  | 'TIMEOUT'
  /** The caller cancelled the command or the session. */
  | 'CANCELLED'
  /** The reader or PC/SC stack failed to exchange the APDU. */
  | 'TRANSMIT_FAILED'
  /** The command cannot be encoded (length out of range, bad field). */
  | 'BAD_APDU'
  /** The card's answer is malformed (too short, bad chaining, endless 61xx). */
  | 'BAD_RESPONSE'
  /** Connecting to the card failed (sharing violation, protocol mismatch, mute card). */
  | 'CONNECT_FAILED';

export const DRIVER_ERROR_CODES: readonly DriverErrorCode[] = [
  'NO_PCSC',
  'PCSC_UNAVAILABLE',
  'NO_READER',
  'NO_CARD',
  'CARD_REMOVED',
  'TIMEOUT',
  'CANCELLED',
  'TRANSMIT_FAILED',
  'BAD_APDU',
  'BAD_RESPONSE',
  'CONNECT_FAILED',
];

export type DriverErrorInfo = Readonly<Record<string, string | number | boolean | undefined>>;

/** Fix hints shown to a person next to the error. */
export const FIX_HINTS: Partial<Record<DriverErrorCode, string>> = {
  NO_PCSC: 'Start the PC/SC service: sudo systemctl start pcscd (or run pcscd as root).',
  PCSC_UNAVAILABLE:
    'Install the PC/SC library and rebuild the binding: sudo apt-get install libpcsclite-dev pcscd && npm rebuild.',
  NO_READER: 'Plug in a USB PC/SC reader. If it is plugged in, check its driver (libccid) and that pcscd sees it (pcsc_scan).',
  CARD_REMOVED: 'Put the card back on the reader and hold it still until the operation finishes.',
};

/**
 * Named facts of an error a card applet's protocol client raises (Satochip, Keycard). None of
 * them is ever a secret.
 */
export interface CardProtocolErrorInfo {
  /** The status word (the inner SW inside a secure channel), 4 lowercase hex digits, when the card answered one. */
  readonly sw?: string;
  /** The (inner) command's name, e.g. "VERIFY PIN". */
  readonly command?: string;
  /** The (inner) command's INS, 2 hex digits. */
  readonly ins?: string;
  /** PIN or PUK tries left (63Cx), 0 when blocked. */
  readonly triesLeft?: number;
  /** What the family's protocol notes say the status word means. */
  readonly meaning?: string;
  /** Why we raised it (parse or check failures, refused arguments). */
  readonly reason?: string;
  /** The argument we refused. */
  readonly field?: string;
}

/**
 * The shape every layer's error shares (ethers v6 style): a `code` from the layer's closed union,
 * named facts in `info` (never a secret), and the message "message (code=X, field=value, ...)".
 * Each layer subclasses it with its own name, union and info, and narrows with codedErrorGuard.
 */
export class CodedError<Code extends string, Info extends object> extends Error {
  readonly code: Code;
  readonly info: Info;

  constructor(name: string, code: Code, message: string, info: Info, options?: { cause?: unknown }) {
    super(formatErrorMessage(code, message, info), options);
    this.name = name;
    this.code = code;
    this.info = info;
  }
}

/** `isXError(error, code?)` for a CodedError subclass: that class, and that code when given. */
export function codedErrorGuard<E extends CodedError<string, object>>(errorClass: abstract new (...args: never[]) => E): (error: unknown, code?: E['code']) => error is E {
  return (error: unknown, code?: E['code']): error is E => error instanceof errorClass && (code === undefined || error.code === code);
}

export class DriverError extends CodedError<DriverErrorCode, DriverErrorInfo> {
  readonly hint: string | undefined;

  constructor(code: DriverErrorCode, message: string, info: DriverErrorInfo = {}, options?: { cause?: unknown }) {
    super('DriverError', code, message, info, options);
    this.hint = FIX_HINTS[code];
  }
}

/** "message (code=X, field=value, ...)": the message format of every layer's errors. */
export function formatErrorMessage(code: string, message: string, info: object): string {
  const fields = Object.entries(info)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`);
  return `${message} (code=${code}${fields.length ? ', ' + fields.join(', ') : ''})`;
}

export const isDriverError = codedErrorGuard(DriverError);
