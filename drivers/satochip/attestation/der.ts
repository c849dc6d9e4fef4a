/**
 * A minimal DER (ITU-T X.690) reader for X.509 certificates: definite lengths only, single-byte
 * tags (all X.509 needs). Every malformed input throws DerError; callers turn that into a
 * failed check, never a crash.
 */
export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DerError';
  }
}

export interface DerNode {
  readonly tag: number;
  /** Header plus value, as it sits in the input (what signatures cover). */
  readonly raw: Uint8Array;
  readonly value: Uint8Array;
}

export const TAG = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Parse exactly one element at `offset`; returns it and where the next begins. */
export function readElement(bytes: Uint8Array, offset = 0): { node: DerNode; next: number } {
  if (offset + 2 > bytes.length) throw new DerError('truncated header');
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte tags are not used in X.509');
  let length = bytes[offset + 1]!;
  let header = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 3) throw new DerError('unsupported length encoding');
    if (offset + 2 + count > bytes.length) throw new DerError('truncated length');
    length = 0;
    for (let i = 0; i < count; i += 1) length = (length << 8) | bytes[offset + 2 + i]!;
    if (length < 0x80 || (count > 1 && bytes[offset + 2]! === 0)) throw new DerError('non-minimal length');
    header += count;
  }
  const end = offset + header + length;
  if (end > bytes.length) throw new DerError('element runs past the end');
  return { node: { tag, raw: bytes.subarray(offset, end), value: bytes.subarray(offset + header, end) }, next: end };
}

/** Parse a whole buffer that must hold exactly one element. */
export function parseDer(bytes: Uint8Array): DerNode {
  const { node, next } = readElement(bytes, 0);
  if (next !== bytes.length) throw new DerError('trailing bytes after the element');
  return node;
}

/** The elements inside a constructed node. */
export function childrenOf(node: DerNode): DerNode[] {
  if ((node.tag & 0x20) === 0) throw new DerError(`tag ${node.tag.toString(16)} is not constructed`);
  const out: DerNode[] = [];
  let offset = 0;
  while (offset < node.value.length) {
    const { node: child, next } = readElement(node.value, offset);
    out.push(child);
    offset = next;
  }
  return out;
}

export function expectTag(node: DerNode | undefined, tag: number, what: string): DerNode {
  if (!node || node.tag !== tag) throw new DerError(`${what}: expected tag ${tag.toString(16)}`);
  return node;
}

/** Dotted OID text. */
export function oidToString(node: DerNode): string {
  const v = expectTag(node, TAG.OID, 'OID').value;
  if (v.length === 0) throw new DerError('empty OID');
  const parts: number[] = [Math.floor(v[0]! / 40), v[0]! % 40];
  let acc = 0;
  for (let i = 1; i < v.length; i += 1) {
    acc = acc * 128 + (v[i]! & 0x7f);
    if ((v[i]! & 0x80) === 0) {
      parts.push(acc);
      acc = 0;
    } else if (i === v.length - 1) {
      throw new DerError('truncated OID');
    }
  }
  return parts.join('.');
}

/** The content of a BIT STRING with no unused bits (keys and signatures). */
export function bitStringBytes(node: DerNode): Uint8Array {
  const v = expectTag(node, TAG.BIT_STRING, 'BIT STRING').value;
  if (v.length === 0 || v[0] !== 0) throw new DerError('BIT STRING with unused bits');
  return v.subarray(1);
}

/** UTCTime (YYMMDDHHMMSSZ, 1950-2049) or GeneralizedTime (YYYYMMDDHHMMSSZ). */
export function timeOf(node: DerNode): Date {
  const text = new TextDecoder().decode(node.value);
  const m =
    node.tag === TAG.UTC_TIME
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
      : node.tag === TAG.GENERALIZED_TIME
        ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
        : null;
  if (!m) throw new DerError('bad time');
  let year = Number(m[1]);
  if (node.tag === TAG.UTC_TIME) year += year < 50 ? 2000 : 1900;
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}
