/**
 * The Keycard TLV codec (../shared/protocols/keycard.md sections 2, 9, 10, 13): short and `81 xx`
 * lengths (the Application Info template switches to `81 81` once a key is loaded), round trips,
 * and malformed buffers as null, never an exception (fast-check).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeTlv, findTlv, parseTlvs } from './tlv.ts';

const hex = (text: string) => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));

describe('Keycard TLV codec', () => {
  it('reads short and 81-long lengths, nested, in order', () => {
    const pub = new Uint8Array(65).fill(4);
    // EXPORT KEY public: A1 43 { 80 41 <key> } (short form).
    const exported = encodeTlv(0xa1, encodeTlv(0x80, pub));
    expect(Array.from(exported.subarray(0, 4))).toEqual([0xa1, 0x43, 0x80, 0x41]);
    expect(findTlv(parseTlvs(parseTlvs(exported)![0]!.value)!, 0x80)).toEqual(pub);
    // Application Info with a key loaded: A4 81 81 { 8F 10, 80 41, 02 02, 02 01, 8E 20, 8D 01 } (129 bytes, long form).
    const inner = [encodeTlv(0x8f, new Uint8Array(16).fill(1)), encodeTlv(0x80, pub), encodeTlv(0x02, Uint8Array.of(3, 1)), encodeTlv(0x02, Uint8Array.of(5)), encodeTlv(0x8e, new Uint8Array(32).fill(7)), encodeTlv(0x8d, Uint8Array.of(0x1f))];
    const template = encodeTlv(0xa4, Uint8Array.from(Buffer.concat(inner)));
    expect(Array.from(template.subarray(0, 3))).toEqual([0xa4, 0x81, 0x81]);
    const [top] = parseTlvs(template)!;
    expect(top!.tag).toBe(0xa4);
    const fields = parseTlvs(top!.value)!;
    expect(fields.map((f) => f.tag)).toEqual([0x8f, 0x80, 0x02, 0x02, 0x8e, 0x8d]);
    expect(findTlv(fields, 0x80)).toEqual(pub);
    expect(findTlv(fields, 0x99)).toBeUndefined();
    // An empty value (key UID of a card without a key: 8E 00).
    expect(parseTlvs(hex('8e00 8d011f'))).toEqual([{ tag: 0x8e, value: new Uint8Array(0) }, { tag: 0x8d, value: Uint8Array.of(0x1f) }]);
  });

  it('encodes the shortest length form', () => {
    expect(Array.from(encodeTlv(0x80, new Uint8Array(0x7f)).subarray(0, 2))).toEqual([0x80, 0x7f]);
    expect(Array.from(encodeTlv(0x80, new Uint8Array(0x80)).subarray(0, 3))).toEqual([0x80, 0x81, 0x80]);
    expect(Array.from(encodeTlv(0x80, new Uint8Array(0x100)).subarray(0, 4))).toEqual([0x80, 0x82, 0x01, 0x00]);
  });

  it('gives null for lengths past the end, a missing length, or an unknown length form', () => {
    expect(parseTlvs(hex('8005 0102'))).toBeNull();
    expect(parseTlvs(hex('80'))).toBeNull();
    expect(parseTlvs(hex('8081'))).toBeNull();
    expect(parseTlvs(hex('8083 000001'))).toBeNull();
  });

  it('round-trips any list of TLVs, and never throws on any bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ tag: fc.integer({ min: 0, max: 255 }), value: fc.uint8Array({ maxLength: 300 }) }), { maxLength: 6 }), (tlvs) => {
        const bytes = Uint8Array.from(Buffer.concat(tlvs.map((t) => encodeTlv(t.tag, t.value))));
        expect(parseTlvs(bytes)).toEqual(tlvs.map((t) => ({ tag: t.tag, value: t.value })));
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const parsed = parseTlvs(bytes);
        expect(parsed === null || Array.isArray(parsed)).toBe(true);
      }),
    );
  }, 30_000);
});
