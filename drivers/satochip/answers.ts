/**
 * Parsers for the card's (decrypted) answers (../shared/protocols/satochip-seedkeeper.md section 5).
 * They only split bytes; the signature checks happen in the client with AuthentikeyBinding.
 */
import { ByteReader } from './bytes.ts';

/** Sections 5.1/5.2: `0020 | x(32) | slen(2) | sig` where sig is the authentikey's over `0020 | x`. */
export interface AuthentikeyAnswer {
  readonly x: Uint8Array;
  readonly signedMessage: Uint8Array;
  readonly signature: Uint8Array;
}

export function parseAuthentikeyAnswer(data: Uint8Array, what: string): AuthentikeyAnswer {
  const reader = new ByteReader(data, what);
  const x = reader.lengthPrefixed('authentikey x', 32);
  const signedMessage = reader.consumed();
  const signature = reader.lengthPrefixed('authentikey signature');
  reader.end();
  return { x, signedMessage, signature };
}

/**
 * Section 5.3: `chaincode(32) | 0020 | x(32) | len1 | sig1 | len2 | sig2`,
 * sig1 by the derived key over [chaincode|0020|x], sig2 by the authentikey over [... | len1 | sig1].
 */
export interface ExtendedKeyAnswer {
  readonly chainCode: Uint8Array;
  readonly x: Uint8Array;
  readonly selfSignedMessage: Uint8Array;
  readonly selfSignature: Uint8Array;
  readonly authentikeySignedMessage: Uint8Array;
  readonly authentikeySignature: Uint8Array;
}

export function parseExtendedKeyAnswer(data: Uint8Array): ExtendedKeyAnswer {
  const reader = new ByteReader(data, 'GET EXTENDED KEY');
  const chainCode = reader.take(32, 'chaincode');
  const x = reader.lengthPrefixed('x', 32);
  const selfSignedMessage = reader.consumed();
  const selfSignature = reader.lengthPrefixed('sig1');
  const authentikeySignedMessage = reader.consumed();
  const authentikeySignature = reader.lengthPrefixed('sig2');
  reader.end();
  return { chainCode, x, selfSignedMessage, selfSignature, authentikeySignedMessage, authentikeySignature };
}

/** Section 5.6: GET LABEL answers `len | label` (UTF-8 by convention, at most 64 bytes). */
export function parseLabelAnswer(data: Uint8Array): string {
  const reader = new ByteReader(data, 'GET LABEL');
  const length = reader.u8('label length');
  const label = reader.take(length, 'label');
  reader.end();
  // Another app may have written non-UTF-8 bytes: show them with replacement characters, not fail.
  return new TextDecoder('utf-8').decode(label);
}
