/**
 * GENERATE MNEMONIC answers (../shared/protocols/keycard.md section 8; `primitives.json
 * generate_mnemonic`): one big-endian u16 word index (0..2047) per word, the BIP39 bit string
 * entropy || first (words / 3) bits of SHA-256(entropy) cut into 11-bit groups. We read the
 * indexes back into entropy and check the checksum, so a garbled answer never reaches the user.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { keycardBadResponse } from './errors.ts';

export const MNEMONIC_WORD_COUNTS = [12, 15, 18, 21, 24] as const;
export type MnemonicWordCount = (typeof MNEMONIC_WORD_COUNTS)[number];

/** The BIP39 word indexes of `entropy` (16..32 bytes, multiple of 4). */
export function mnemonicIndexesFromEntropy(entropy: Uint8Array): number[] {
  const checksumBits = entropy.length / 4;
  const bits: number[] = [];
  for (const byte of entropy) for (let b = 7; b >= 0; b--) bits.push((byte >> b) & 1);
  const hash = sha256(entropy);
  for (let i = 0; i < checksumBits; i++) bits.push((hash[i >> 3]! >> (7 - (i & 7))) & 1);
  const out: number[] = [];
  for (let i = 0; i < bits.length; i += 11) out.push(bits.slice(i, i + 11).reduce((v, bit) => (v << 1) | bit, 0));
  return out;
}

/** The entropy behind `indexes`, or null when an index is out of range or the checksum is wrong. */
export function entropyFromMnemonicIndexes(indexes: readonly number[]): Uint8Array | null {
  if (!MNEMONIC_WORD_COUNTS.includes(indexes.length as MnemonicWordCount)) return null;
  const bits: number[] = [];
  for (const index of indexes) {
    if (!Number.isInteger(index) || index < 0 || index > 2047) return null;
    for (let b = 10; b >= 0; b--) bits.push((index >> b) & 1);
  }
  const checksumBits = indexes.length / 3;
  const entropy = new Uint8Array((bits.length - checksumBits) / 8);
  for (let i = 0; i < entropy.length; i++) entropy[i] = bits.slice(i * 8, i * 8 + 8).reduce((v, bit) => (v << 1) | bit, 0);
  const expected = mnemonicIndexesFromEntropy(entropy);
  return expected.every((v, i) => v === indexes[i]) ? entropy : null;
}

/** Parses the GENERATE MNEMONIC data for `words` words and checks its checksum. */
export function parseMnemonicAnswer(data: Uint8Array, words: MnemonicWordCount): number[] {
  if (data.length !== words * 2) throw keycardBadResponse(`GENERATE MNEMONIC answer of ${data.length} bytes for ${words} words`, 'GENERATE MNEMONIC');
  const indexes: number[] = [];
  for (let i = 0; i < data.length; i += 2) indexes.push((data[i]! << 8) | data[i + 1]!);
  if (!entropyFromMnemonicIndexes(indexes)) throw keycardBadResponse('word indexes out of range or BIP39 checksum wrong', 'GENERATE MNEMONIC');
  return indexes;
}
