/**
 * Parsers for the Keycard's answers (../shared/protocols/keycard.md sections 5-13). Each one
 * checks lengths and tags and throws BAD_RESPONSE (KeycardError) on anything malformed; none of
 * them throws anything else.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keycardBadResponse } from './errors.ts';
import { decodePath } from './paths.ts';
import { findTlv, parseTlvs } from './tlv.ts';

export interface KeycardStatus {
  readonly pinTriesLeft: number;
  readonly pukTriesLeft: number;
  readonly keyLoaded: boolean;
}

/** PAIR step 1: card cryptogram (32) || card challenge (32). */
export function parsePairStep1(data: Uint8Array): { cryptogram: Uint8Array; challenge: Uint8Array } {
  if (data.length !== 64) throw keycardBadResponse(`PAIR step 1 answer is ${data.length} bytes, expected 64`, 'PAIR step 1');
  return { cryptogram: data.slice(0, 32), challenge: data.slice(32) };
}

/** PAIR step 2: pairing index (0..4) || salt (32). */
export function parsePairStep2(data: Uint8Array): { index: number; salt: Uint8Array } {
  if (data.length !== 33) throw keycardBadResponse(`PAIR step 2 answer is ${data.length} bytes, expected 33`, 'PAIR step 2');
  const index = data[0]!;
  if (index > 4) throw keycardBadResponse(`pairing index ${index} (0..4)`, 'PAIR step 2');
  return { index, salt: data.slice(1) };
}

/** OPEN SECURE CHANNEL: salt (32) || IV (16). */
export function parseOpenSecureChannel(data: Uint8Array): { salt: Uint8Array; iv: Uint8Array } {
  if (data.length !== 48) throw keycardBadResponse(`OPEN SECURE CHANNEL answer is ${data.length} bytes, expected 48`, 'OPEN SECURE CHANNEL');
  return { salt: data.slice(0, 32), iv: data.slice(32) };
}

/** Section 7: `A3 09 02 01 <PIN tries> 02 01 <PUK tries> 01 01 <FF|00>`. */
export function parseApplicationStatus(data: Uint8Array): KeycardStatus {
  const top = parseTlvs(data);
  if (!top || top.length !== 1 || top[0]!.tag !== 0xa3) throw keycardBadResponse('GET STATUS answer is not an A3 template', 'GET STATUS');
  const fields = parseTlvs(top[0]!.value);
  if (!fields || fields.length !== 3) throw keycardBadResponse('GET STATUS template does not hold 3 fields', 'GET STATUS');
  const [pin, puk, key] = fields as [typeof fields[0], typeof fields[0], typeof fields[0]];
  if (pin!.tag !== 0x02 || pin!.value.length !== 1 || puk!.tag !== 0x02 || puk!.value.length !== 1 || key!.tag !== 0x01 || key!.value.length !== 1) {
    throw keycardBadResponse('GET STATUS fields are not 02 01 / 02 01 / 01 01', 'GET STATUS');
  }
  const loaded = key!.value[0]!;
  if (loaded !== 0x00 && loaded !== 0xff) throw keycardBadResponse(`GET STATUS key flag ${loaded.toString(16)}`, 'GET STATUS');
  const pinTriesLeft = pin!.value[0]!;
  const pukTriesLeft = puk!.value[0]!;
  if (pinTriesLeft > 15 || pukTriesLeft > 15) throw keycardBadResponse('GET STATUS tries out of range', 'GET STATUS');
  return { pinTriesLeft, pukTriesLeft, keyLoaded: loaded === 0xff };
}

/** GET STATUS P1=01: the current path. */
export function parseKeyPath(data: Uint8Array): number[] {
  const path = decodePath(data);
  if (!path) throw keycardBadResponse(`key path of ${data.length} bytes`, 'GET STATUS (key path)');
  return path;
}

/** A 65-byte uncompressed point on secp256k1, or BAD_RESPONSE. */
export function checkedPublicKey(value: Uint8Array | undefined, command: string): Uint8Array {
  if (!value || value.length !== 65 || value[0] !== 0x04) throw keycardBadResponse('public key is not a 65-byte uncompressed point', command);
  try {
    secp256k1.Point.fromBytes(value).assertValidity();
  } catch {
    throw keycardBadResponse('public key is not on secp256k1', command);
  }
  return Uint8Array.from(value);
}

export interface ExportedKey {
  readonly publicKey: Uint8Array | null;
  readonly privateKey: Uint8Array | null;
  readonly chainCode: Uint8Array | null;
}

/** Section 9: `A1 { [80 41 pub] [81 20 priv] [82 20 chain code] }`. */
export function parseExportAnswer(data: Uint8Array): ExportedKey {
  const top = parseTlvs(data);
  if (!top || top.length !== 1 || top[0]!.tag !== 0xa1) throw keycardBadResponse('EXPORT KEY answer is not an A1 template', 'EXPORT KEY');
  const fields = parseTlvs(top[0]!.value);
  if (!fields) throw keycardBadResponse('EXPORT KEY template is not TLV', 'EXPORT KEY');
  const pub = findTlv(fields, 0x80);
  const priv = findTlv(fields, 0x81);
  const chain = findTlv(fields, 0x82);
  if (priv !== undefined && (priv.length !== 32 || !secp256k1.utils.isValidSecretKey(priv))) throw keycardBadResponse('exported private key is not a valid 32-byte scalar', 'EXPORT KEY');
  if (chain !== undefined && chain.length !== 32) throw keycardBadResponse(`chain code of ${chain.length} bytes`, 'EXPORT KEY');
  return {
    publicKey: pub === undefined ? null : checkedPublicKey(pub, 'EXPORT KEY'),
    privateKey: priv === undefined ? null : Uint8Array.from(priv),
    chainCode: chain === undefined ? null : Uint8Array.from(chain),
  };
}

/** Section 10: `A0 { 80 41 pub, 30 .. DER }`. */
export function parseSignAnswer(data: Uint8Array): { publicKey: Uint8Array; der: Uint8Array } {
  const top = parseTlvs(data);
  if (!top || top.length !== 1 || top[0]!.tag !== 0xa0) throw keycardBadResponse('SIGN answer is not an A0 template', 'SIGN');
  const fields = parseTlvs(top[0]!.value);
  if (!fields) throw keycardBadResponse('SIGN template is not TLV', 'SIGN');
  const publicKey = checkedPublicKey(findTlv(fields, 0x80), 'SIGN');
  const signature = fields.find((f) => f.tag === 0x30);
  if (!signature) throw keycardBadResponse('SIGN template has no DER signature (tag 30)', 'SIGN');
  if (signature.value.length > 0x7f) throw keycardBadResponse('DER signature too long', 'SIGN');
  const der = new Uint8Array(signature.value.length + 2);
  der[0] = 0x30;
  der[1] = signature.value.length;
  der.set(signature.value, 2);
  return { publicKey, der };
}

/** 32-byte key UID (LOAD KEY, GENERATE KEY). */
export function parseKeyUid(data: Uint8Array, command: string): Uint8Array {
  if (data.length !== 32) throw keycardBadResponse(`key UID of ${data.length} bytes`, command);
  return Uint8Array.from(data);
}

/** Section 13: the IDENT answer must at least be one A0 template; its content is checked by attestation. */
export function checkIdentAnswer(data: Uint8Array): Uint8Array {
  const top = parseTlvs(data);
  if (!top || top.length !== 1 || top[0]!.tag !== 0xa0) throw keycardBadResponse('IDENT answer is not an A0 template', 'IDENT');
  return Uint8Array.from(data);
}
