import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DriverError, isDriverError } from '../errors.ts';
import {
  type CommandApdu,
  EXTENDED_RESPONSE_BUFFER,
  SHORT_RESPONSE_BUFFER,
  decodeResponse,
  encodeCommand,
  fromHex,
  isExtended,
  responseBufferSize,
  swHex,
  toHex,
} from './apdu.ts';

const hex = (command: CommandApdu) => toHex(encodeCommand(command));
const bytes = (length: number, fill = 0xab) => new Uint8Array(length).fill(fill);

function expectDriverError(fn: () => unknown, code: DriverError['code']): DriverError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(DriverError);
  expect(isDriverError(caught, code)).toBe(true);
  return caught as DriverError;
}

describe('encodeCommand: short form (ISO 7816-4 5.1)', () => {
  it('case 1: header only', () => {
    expect(hex({ cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00 })).toBe('00a40400');
  });

  it('case 2S: header + Le', () => {
    expect(hex({ cla: 0x00, ins: 0xc0, p1: 0, p2: 0, le: 0x20 })).toBe('00c0000020');
    expect(hex({ cla: 0x00, ins: 0xc0, p1: 0, p2: 0, le: 1 })).toBe('00c0000001');
    expect(hex({ cla: 0x00, ins: 0xc0, p1: 0, p2: 0, le: 255 })).toBe('00c00000ff');
  });

  it('case 2S: Le = 256 is sent as 00', () => {
    expect(hex({ cla: 0x00, ins: 0xc0, p1: 0, p2: 0, le: 256 })).toBe('00c0000000');
  });

  it('case 3S: header + Lc + data', () => {
    expect(hex({ cla: 0x80, ins: 0x10, p1: 1, p2: 2, data: Uint8Array.from([1, 2, 3]) })).toBe('8010010203010203');
  });

  it('case 3S with the largest short body (255 bytes)', () => {
    const encoded = encodeCommand({ cla: 0x80, ins: 0x10, p1: 0, p2: 0, data: bytes(255) });
    expect(encoded.length).toBe(4 + 1 + 255);
    expect(encoded[4]).toBe(0xff);
  });

  it('case 4S: header + Lc + data + Le', () => {
    expect(hex({ cla: 0x00, ins: 0xa4, p1: 4, p2: 0, data: Uint8Array.from([0xa0, 0x01]), le: 0x10 })).toBe('00a4040002a00110');
    expect(hex({ cla: 0x00, ins: 0xa4, p1: 4, p2: 0, data: Uint8Array.from([0xa0]), le: 256 })).toBe('00a4040001a000');
  });

  it('an empty data array is the same as no data', () => {
    expect(hex({ cla: 0, ins: 0xb0, p1: 0, p2: 0, data: new Uint8Array(0) })).toBe('00b00000');
    expect(hex({ cla: 0, ins: 0xb0, p1: 0, p2: 0, data: new Uint8Array(0), le: 8 })).toBe('00b0000008');
  });
});

describe('encodeCommand: extended form', () => {
  it('case 2E: 00 marker then 2-byte Le', () => {
    expect(hex({ cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 257 })).toBe('00b00000000101');
    expect(hex({ cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 0x1234 })).toBe('00b00000001234');
  });

  it('case 2E: Le = 65536 is sent as 00 00 00', () => {
    expect(hex({ cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 65536 })).toBe('00b00000000000');
  });

  it('case 3E: 00 marker, 2-byte Lc, data', () => {
    const data = bytes(256, 0x11);
    const encoded = encodeCommand({ cla: 0x80, ins: 0x10, p1: 0, p2: 0, data });
    expect(encoded.length).toBe(4 + 3 + 256);
    expect(toHex(encoded.slice(0, 7))).toBe('80100000000100');
    expect(encoded.slice(7)).toEqual(data);
  });

  it('case 4E: Lc is 2 bytes after the 00 marker, Le is 2 bytes (no second marker)', () => {
    const data = bytes(300, 0x22);
    const encoded = encodeCommand({ cla: 0x80, ins: 0x10, p1: 0, p2: 0, data, le: 0x0400 });
    expect(encoded.length).toBe(4 + 3 + 300 + 2);
    expect(toHex(encoded.slice(4, 7))).toBe('00012c');
    expect(encoded.slice(7, 307)).toEqual(data);
    expect(toHex(encoded.slice(307))).toBe('0400');
  });

  it('case 4E: Le = 65536 is sent as 00 00', () => {
    const encoded = encodeCommand({ cla: 0x80, ins: 0x10, p1: 0, p2: 0, data: bytes(2), le: 65536 });
    expect(toHex(encoded)).toBe('80100000' + '000002' + 'abab' + '0000');
  });

  it('case 3E with the largest body (65535 bytes)', () => {
    const encoded = encodeCommand({ cla: 0x80, ins: 0x10, p1: 0, p2: 0, data: bytes(65535) });
    expect(encoded.length).toBe(4 + 3 + 65535);
    expect(toHex(encoded.slice(4, 7))).toBe('00ffff');
  });

  it('extended: true forces the extended encoding for small commands', () => {
    expect(hex({ cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 16, extended: true })).toBe('00b00000000010');
    expect(hex({ cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 256, extended: true })).toBe('00b00000000100');
    expect(hex({ cla: 0x80, ins: 0x10, p1: 0, p2: 0, data: Uint8Array.from([7]), extended: true })).toBe('8010000000000107');
    expect(hex({ cla: 0x80, ins: 0x10, p1: 0, p2: 0, data: Uint8Array.from([7]), le: 1, extended: true })).toBe('80100000000001070001');
    // Case 1 has no length field, so "extended" changes nothing.
    expect(hex({ cla: 0, ins: 0xb0, p1: 0, p2: 0, extended: true })).toBe('00b00000');
  });

  it('switches to extended automatically when data > 255 or Le > 256, not before', () => {
    expect(isExtended({ cla: 0, ins: 0, p1: 0, p2: 0, data: bytes(255), le: 256 })).toBe(false);
    expect(isExtended({ cla: 0, ins: 0, p1: 0, p2: 0, data: bytes(256) })).toBe(true);
    expect(isExtended({ cla: 0, ins: 0, p1: 0, p2: 0, le: 257 })).toBe(true);
    expect(isExtended({ cla: 0, ins: 0, p1: 0, p2: 0, extended: true })).toBe(true);
    // A short body with a large Le makes the whole command extended (Lc too).
    expect(hex({ cla: 0x80, ins: 0x10, p1: 0, p2: 0, data: Uint8Array.from([1, 2]), le: 300 })).toBe('80100000000002' + '0102' + '012c');
    // A long body with a small Le: Le is 2 bytes as well.
    const encoded = encodeCommand({ cla: 0x80, ins: 0x10, p1: 0, p2: 0, data: bytes(256), le: 1 });
    expect(toHex(encoded.slice(-2))).toBe('0001');
  });
});

describe('encodeCommand: errors', () => {
  it.each([
    ['cla', { cla: 256, ins: 0, p1: 0, p2: 0 }],
    ['ins', { cla: 0, ins: -1, p1: 0, p2: 0 }],
    ['p1', { cla: 0, ins: 0, p1: 1.5, p2: 0 }],
    ['p2', { cla: 0, ins: 0, p1: 0, p2: Number.NaN }],
    ['p2', { cla: 0, ins: 0, p1: 0, p2: 0x1ff }],
  ] as const)('refuses a header byte out of range (%s) with BAD_APDU', (field, command) => {
    const error = expectDriverError(() => encodeCommand(command), 'BAD_APDU');
    expect(error.info.field).toBe(field);
  });

  it('refuses Lc > 65535 with BAD_APDU', () => {
    const error = expectDriverError(() => encodeCommand({ cla: 0, ins: 0, p1: 0, p2: 0, data: bytes(65536) }), 'BAD_APDU');
    expect(error.info.lc).toBe(65536);
  });

  it.each([0, -1, 65537, 1.5, Number.NaN])('refuses Le = %s with BAD_APDU', (le) => {
    expectDriverError(() => encodeCommand({ cla: 0, ins: 0, p1: 0, p2: 0, le }), 'BAD_APDU');
  });

  it('accepts the Le bounds 1 and 65536', () => {
    expect(() => encodeCommand({ cla: 0, ins: 0, p1: 0, p2: 0, le: 1 })).not.toThrow();
    expect(() => encodeCommand({ cla: 0, ins: 0, p1: 0, p2: 0, le: 65536 })).not.toThrow();
  });
});

describe('decodeResponse', () => {
  it('splits the body and the status word', () => {
    expect(decodeResponse(Uint8Array.from([1, 2, 3, 0x90, 0x00]))).toEqual({ data: Uint8Array.from([1, 2, 3]), sw: 0x9000 });
    expect(decodeResponse(Uint8Array.from([0x6a, 0x82]))).toEqual({ data: new Uint8Array(0), sw: 0x6a82 });
    expect(decodeResponse(Uint8Array.from([0xff, 0x61, 0xff])).sw).toBe(0x61ff);
  });

  it('does not alias the input buffer', () => {
    const raw = Uint8Array.from([1, 2, 0x90, 0x00]);
    const { data } = decodeResponse(raw);
    raw[0] = 99;
    expect(data[0]).toBe(1);
  });

  it.each([0, 1])('refuses a %i-byte answer with BAD_RESPONSE', (length) => {
    const error = expectDriverError(() => decodeResponse(new Uint8Array(length).fill(0x90)), 'BAD_RESPONSE');
    expect(error.info.length).toBe(length);
  });
});

describe('response buffer sizes', () => {
  it('short commands get 256 + 2 bytes, extended 65536 + 2', () => {
    expect(SHORT_RESPONSE_BUFFER).toBe(258);
    expect(EXTENDED_RESPONSE_BUFFER).toBe(65538);
    expect(responseBufferSize({ cla: 0, ins: 0, p1: 0, p2: 0 })).toBe(258);
    expect(responseBufferSize({ cla: 0, ins: 0, p1: 0, p2: 0, le: 256 })).toBe(258);
    expect(responseBufferSize({ cla: 0, ins: 0, p1: 0, p2: 0, le: 257 })).toBe(65538);
    expect(responseBufferSize({ cla: 0, ins: 0, p1: 0, p2: 0, data: bytes(256) })).toBe(65538);
    expect(responseBufferSize({ cla: 0, ins: 0, p1: 0, p2: 0, extended: true })).toBe(65538);
  });
});

describe('hex helpers', () => {
  it('round-trips and tolerates whitespace and upper case', () => {
    expect(toHex(fromHex('00 A4 04\n00'))).toBe('00a40400');
    expect(fromHex('')).toEqual(new Uint8Array(0));
    const sub = Uint8Array.from([9, 1, 2, 9]).subarray(1, 3);
    expect(toHex(sub)).toBe('0102');
  });

  it.each(['zz', 'abc', '0x12', '12-34', 'g0'])('fromHex(%j) throws BAD_APDU', (input) => {
    expectDriverError(() => fromHex(input), 'BAD_APDU');
  });

  it('swHex pads to 4 digits', () => {
    expect(swHex(0x9000)).toBe('9000');
    expect(swHex(0x0001)).toBe('0001');
  });
});

// ---------------------------------------------------------------------------------------------
// Property: an independent ISO 7816-4 parser reads back what encodeCommand wrote.

interface Parsed {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data: Uint8Array;
  le: number | undefined;
  extended: boolean;
}

function parseCommand(apdu: Uint8Array): Parsed {
  if (apdu.length < 4) throw new Error('shorter than a header');
  const [cla, ins, p1, p2] = [apdu[0]!, apdu[1]!, apdu[2]!, apdu[3]!];
  const header = { cla, ins, p1, p2 };
  const body = apdu.slice(4);
  const n = body.length;
  if (n === 0) return { ...header, data: new Uint8Array(0), le: undefined, extended: false }; // case 1
  if (n === 1) return { ...header, data: new Uint8Array(0), le: body[0]! || 256, extended: false }; // case 2S
  if (body[0] !== 0) {
    const lc = body[0]!;
    if (n === 1 + lc) return { ...header, data: body.slice(1), le: undefined, extended: false }; // case 3S
    if (n === 2 + lc) return { ...header, data: body.slice(1, 1 + lc), le: body[1 + lc]! || 256, extended: false }; // case 4S
    throw new Error(`bad short length: body ${n}, Lc ${lc}`);
  }
  if (n === 3) return { ...header, data: new Uint8Array(0), le: ((body[1]! << 8) | body[2]!) || 65536, extended: true }; // case 2E
  const lc = (body[1]! << 8) | body[2]!;
  if (lc === 0) throw new Error('extended Lc of 0');
  if (n === 3 + lc) return { ...header, data: body.slice(3), le: undefined, extended: true }; // case 3E
  if (n === 5 + lc) {
    return { ...header, data: body.slice(3, 3 + lc), le: ((body[3 + lc]! << 8) | body[4 + lc]!) || 65536, extended: true }; // case 4E
  }
  throw new Error(`bad extended length: body ${n}, Lc ${lc}`);
}

const byte = fc.integer({ min: 0, max: 255 });
const commandArb = fc.record(
  {
    cla: byte,
    ins: byte,
    p1: byte,
    p2: byte,
    data: fc.oneof(
      fc.uint8Array({ minLength: 0, maxLength: 300 }),
      fc.integer({ min: 0, max: 3000 }).map((n) => new Uint8Array(n).fill(n & 0xff)),
    ),
    le: fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 65536 }), fc.constantFrom(1, 255, 256, 257, 65535, 65536)),
    extended: fc.boolean(),
  },
  { requiredKeys: ['cla', 'ins', 'p1', 'p2'] },
);

describe('property: encode then parse by ISO rules', () => {
  it('gives back the same fields and the same short/extended choice', () => {
    fc.assert(
      fc.property(commandArb, (command) => {
        const encoded = encodeCommand(command);
        const parsed = parseCommand(encoded);
        expect([parsed.cla, parsed.ins, parsed.p1, parsed.p2]).toEqual([command.cla, command.ins, command.p1, command.p2]);
        expect(toHex(parsed.data)).toBe(toHex(command.data ?? new Uint8Array(0)));
        expect(parsed.le).toBe(command.le);
        const hasLength = (command.data?.length ?? 0) > 0 || command.le !== undefined;
        // Only commands with a length field can show the extended form on the wire.
        expect(parsed.extended).toBe(hasLength && isExtended(command));
        expect(responseBufferSize(command)).toBe(isExtended(command) ? 65538 : 258);
      }),
      { numRuns: 2000 },
    );
  });
});
