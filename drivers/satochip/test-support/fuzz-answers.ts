/**
 * Test support for the property tests: card answers mutated from recorded ones, and answers
 * encrypted the way the card would inside the secure channel, so the parsers behind the
 * decryption see them.
 */
import { cbc } from '@noble/ciphers/aes.js';
import { randomBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { type CommandApdu, type ResponseApdu, encodeCommand } from '../../pcsc/apdu.ts';
import { concatBytes, readU32, u16, u32 } from '../bytes.ts';
import type { SecureChannelKeys } from '../secure-channel.ts';

/** Plaintext of a decrypted answer: a mutation of the recorded one, or anything. */
export const plainMutation = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('append' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
  fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 240 }) }),
  fc.record({ kind: fc.constant('valid' as const) }),
);
export type PlainMutation = typeof plainMutation extends fc.Arbitrary<infer T> ? T : never;

export function mutate(base: Uint8Array, m: PlainMutation): Uint8Array {
  switch (m.kind) {
    case 'truncate':
      return base.slice(0, base.length ? m.at % base.length : 0);
    case 'flip': {
      if (base.length === 0) return Uint8Array.of(m.value);
      const out = Uint8Array.from(base);
      out[m.at % out.length]! ^= m.value;
      return out;
    }
    case 'append':
      return concatBytes(base, m.extra);
    case 'random':
      return m.bytes;
    case 'valid':
      return base;
  }
}

/**
 * Answers a wrapped command (INS 82) with `plainFor(inner command)` encrypted as the card would
 * (response IV counter = the command's + 1); any other command gets a bare 9000.
 */
export function encryptedAnswer(keys: SecureChannelKeys, command: CommandApdu, plainFor: (inner: Uint8Array) => Uint8Array): ResponseApdu {
  const apdu = encodeCommand(command);
  if (apdu[1] !== 0x82) return { data: new Uint8Array(0), sw: 0x9000 };
  const data = apdu.slice(5);
  const iv = data.slice(0, 16);
  const inner = cbc(keys.encKey, iv).decrypt(data.slice(18, 18 + ((data[16]! << 8) | data[17]!)));
  const plain = plainFor(inner);
  if (plain.length === 0) return { data: new Uint8Array(0), sw: 0x9000 };
  const responseIv = concatBytes(randomBytes(12), u32(readU32(iv, 12) + 1));
  const ct = cbc(keys.encKey, responseIv).encrypt(plain);
  return { data: concatBytes(responseIv, u16(ct.length), ct), sw: 0x9000 };
}
