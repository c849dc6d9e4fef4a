/**
 * The card side of a virtual card. Emulators (the test card here, the card families in their own
 * folders) implement this and can then be used in-process or attached to a real pcscd via vpcd.
 */
export interface CardEmulator {
  /** Answer-to-reset the reader reports for this card. */
  readonly atr: Uint8Array;
  /** Process one command APDU; answer with the response body followed by SW1 SW2. */
  process(apdu: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /** Power lost or card reset: volatile state (selected applet, sessions) is cleared. */
  reset?(): void;
}

/** Build an ATR for an ISO 14443-4 card the way a PC/SC contactless reader does (PC/SC part 3). */
export function contactlessAtr(historical: Uint8Array): Uint8Array {
  if (historical.length > 15) throw new RangeError('at most 15 historical bytes');
  const body = [0x8 << 4 | historical.length, 0x80, 0x01, ...historical];
  const tck = body.reduce((acc, byte) => acc ^ byte, 0);
  return Uint8Array.from([0x3b, ...body, tck]);
}

export function sw(value: number, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(data.length + 2);
  out.set(data, 0);
  out[data.length] = value >> 8;
  out[data.length + 1] = value & 0xff;
  return out;
}
