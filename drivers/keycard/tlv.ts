/**
 * The BER-TLV subset the Keycard applet speaks (../shared/protocols/keycard.md sections 2, 8-10, 13):
 * one-byte tags, lengths short form or `81 xx` (and `82 xxxx` for safety). Parsing never throws:
 * a malformed buffer is null, and callers turn that into their own typed error.
 */
export interface Tlv {
  readonly tag: number;
  readonly value: Uint8Array;
}

/** All TLVs in `bytes`, in order; null when any length runs past the end or uses an unknown form. */
export function parseTlvs(bytes: Uint8Array): Tlv[] | null {
  const out: Tlv[] = [];
  let i = 0;
  while (i < bytes.length) {
    const tag = bytes[i++]!;
    if (i >= bytes.length) return null;
    let length = bytes[i++]!;
    if (length === 0x81) {
      if (i >= bytes.length) return null;
      length = bytes[i++]!;
    } else if (length === 0x82) {
      if (i + 1 >= bytes.length) return null;
      length = (bytes[i]! << 8) | bytes[i + 1]!;
      i += 2;
    } else if (length > 0x80) {
      return null;
    }
    if (i + length > bytes.length) return null;
    out.push({ tag, value: bytes.slice(i, i + length) });
    i += length;
  }
  return out;
}

/** The value of the first TLV with `tag`, or undefined. */
export function findTlv(tlvs: readonly Tlv[], tag: number): Uint8Array | undefined {
  return tlvs.find((t) => t.tag === tag)?.value;
}

/** Encodes one TLV with the shortest length form (short, `81 xx`, `82 xxxx`). */
export function encodeTlv(tag: number, value: Uint8Array): Uint8Array {
  const length = value.length;
  const header = length < 0x80 ? [tag, length] : length <= 0xff ? [tag, 0x81, length] : [tag, 0x82, length >> 8, length & 0xff];
  const out = new Uint8Array(header.length + length);
  out.set(header, 0);
  out.set(value, header.length);
  return out;
}
