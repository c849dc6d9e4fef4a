/**
 * Keycard IDENT attestation: reading the card's answer and deciding whether the card is genuine
 * (../shared/protocols/keycard.md section 13, the way keycard-shell `keycard_check_genuine` does):
 *
 *  1. `ident-answer`: the answer is `A0 81 L { 8A 62 <certificate, 98> 30 L <DER signature> }`;
 *     certificate = ident public key (33, compressed) || r (32) || s (32) || recovery id (1);
 *  2. `challenge`: the DER signature verifies under the ident key over the host challenge used
 *     directly as the digest (the card does not normalise to low S, so high S is accepted);
 *  3. `ca-signature`: a public key is recovered from (r, s, recovery id) over SHA-256(ident key);
 *  4. `trusted-ca`: that key is the built-in production CA (`genuine`) or an extra trusted (test)
 *     key (`test`, reported as a failed check so it is never mistaken for genuine).
 *
 * A failed check lists the later ones as `skip`. A bad card answer never throws: it is a
 * `not-genuine` report naming the failing check. Only caller mistakes throw (INVALID_ARGUMENT).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { AttestationCheck, AttestationReport, CheckResult, KeyChainLink, KeycardCheckId } from '../../attestation-report.ts';
import { toHex } from '../../pcsc/apdu.ts';
import { isKeycardError, keycardBadResponse, keycardInvalidArgument } from '../errors.ts';
import { parseCardDerSignature } from '../signature.ts';
import { encodeTlv, parseTlvs } from '../tlv.ts';
import { KEYCARD_PRODUCTION_CA_KEYS, compressedPublicKey, sameBytes } from './trust.ts';

export const IDENT_CHALLENGE_LENGTH = 32;
export const IDENT_CERTIFICATE_LENGTH = 98;
const TAG_IDENT_TEMPLATE = 0xa0;
const TAG_CERTIFICATE = 0x8a;
const TAG_DER_SIGNATURE = 0x30;
const CURVE_ORDER = secp256k1.Point.CURVE().n;

export interface IdentAnswer {
  /** The 98-byte certificate: ident public key || r || s || recovery id. */
  readonly certificate: Uint8Array;
  /** The card's ident public key, compressed (certificate bytes 0..32). */
  readonly identPublicKey: Uint8Array;
  /** The CA's signature over SHA-256(identPublicKey), as stored in the certificate (not range-checked here). */
  readonly caSignature: { readonly r: bigint; readonly s: bigint; readonly recoveryId: number };
  /** The card's signature over the challenge, DER as the card sent it (possibly high S). */
  readonly challengeSignature: Uint8Array;
}

const COMMAND = 'IDENT';

function toBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

/**
 * The fields of an IDENT answer (response data, without the status word). Throws a BAD_RESPONSE
 * KeycardError when it is not exactly one `A0` template holding `8A` (98 bytes, starting with a
 * valid compressed point) then `30` (a DER signature with 0 < r, s < n), with minimal length
 * encodings and nothing else.
 */
export function parseIdentAnswer(data: Uint8Array): IdentAnswer {
  const top = parseTlvs(data);
  if (!top || top.length !== 1 || top[0]!.tag !== TAG_IDENT_TEMPLATE) throw keycardBadResponse('not one A0 template', COMMAND);
  const fields = parseTlvs(top[0]!.value);
  if (!fields || fields.length !== 2 || fields[0]!.tag !== TAG_CERTIFICATE || fields[1]!.tag !== TAG_DER_SIGNATURE) {
    throw keycardBadResponse('the A0 template must hold 8A (certificate) then 30 (signature) and nothing else', COMMAND);
  }
  const certificate = fields[0]!.value;
  if (certificate.length !== IDENT_CERTIFICATE_LENGTH) throw keycardBadResponse(`certificate of ${certificate.length} bytes, expected ${IDENT_CERTIFICATE_LENGTH}`, COMMAND);
  // One encoding per content: a re-encoded answer must be the bytes we got (no long length forms).
  const challengeSignature = encodeTlv(TAG_DER_SIGNATURE, fields[1]!.value);
  const canonical = encodeTlv(TAG_IDENT_TEMPLATE, Uint8Array.from([...encodeTlv(TAG_CERTIFICATE, certificate), ...challengeSignature]));
  if (!sameBytes(canonical, data)) throw keycardBadResponse('non-minimal TLV length encoding', COMMAND);
  if (!parseCardDerSignature(challengeSignature)) throw keycardBadResponse('the challenge signature is not a DER ECDSA signature', COMMAND);
  const identPublicKey = certificate.slice(0, 33);
  if ((identPublicKey[0] !== 0x02 && identPublicKey[0] !== 0x03) || !compressedPublicKey(identPublicKey)) {
    throw keycardBadResponse('the certified ident key is not a compressed secp256k1 point', COMMAND);
  }
  return {
    certificate,
    identPublicKey,
    caSignature: { r: toBigInt(certificate.subarray(33, 65)), s: toBigInt(certificate.subarray(65, 97)), recoveryId: certificate[97]! },
    challengeSignature,
  };
}

/**
 * The CA public key (compressed) that signed `identPublicKey` according to the certificate
 * signature, or null when no key can be recovered (r or s out of range, recovery id not 0..3, no
 * point for that r).
 */
export function recoverIdentCaKey(identPublicKey: Uint8Array, caSignature: IdentAnswer['caSignature']): Uint8Array | null {
  const { r, s, recoveryId } = caSignature;
  if (r <= 0n || r >= CURVE_ORDER || s <= 0n || s >= CURVE_ORDER) return null;
  if (!Number.isInteger(recoveryId) || recoveryId < 0 || recoveryId > 3) return null;
  try {
    const signature = new secp256k1.Signature(r, s, recoveryId);
    return signature.recoverPublicKey(sha256(identPublicKey)).toBytes(true);
  } catch {
    return null;
  }
}

/** Does the DER `signature` verify under `publicKey` over `challenge` used as the digest (high S allowed)? */
export function verifyIdentChallengeSignature(challenge: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  const parsed = parseCardDerSignature(signature);
  if (!parsed) return false;
  try {
    return secp256k1.verify(parsed.compact, challenge, publicKey, { prehash: false, lowS: false, format: 'compact' });
  } catch {
    return false;
  }
}

export interface VerifyIdentInput {
  /** The 32-byte challenge the host sent (fresh and random). */
  readonly challenge: Uint8Array;
  /** IDENT response data, status word removed. */
  readonly answer: Uint8Array;
  /** Extra trusted CA public keys (test CAs), compressed or uncompressed; they yield `test`, never `genuine`. */
  readonly extraTrustedCaKeys?: readonly Uint8Array[];
}

/** The label of each Keycard check, as reported. */
export const KEYCARD_CHECK_LABELS: Readonly<Record<KeycardCheckId, string>> = {
  'ident-answer': 'IDENT answer is well-formed',
  challenge: 'Card signs the fresh challenge with the certified key',
  'ca-signature': 'CA key recovered from the certificate',
  'trusted-ca': 'Certificate issued by the Keycard production CA',
};

/** The Keycard checks in the order they run and are reported. */
export const KEYCARD_CHECK_ORDER: readonly KeycardCheckId[] = ['ident-answer', 'challenge', 'ca-signature', 'trusted-ca'];

/** The report for an IDENT answer to `challenge`. Never throws for a bad answer. */
export function verifyIdent(input: VerifyIdentInput): AttestationReport {
  if (!(input.challenge instanceof Uint8Array) || input.challenge.length !== IDENT_CHALLENGE_LENGTH) {
    throw keycardInvalidArgument('challenge', `must be ${IDENT_CHALLENGE_LENGTH} bytes`);
  }
  if (!(input.answer instanceof Uint8Array)) throw keycardInvalidArgument('answer', 'must be bytes');
  const extra = (input.extraTrustedCaKeys ?? []).map((key, index) => {
    const compressed = compressedPublicKey(key);
    if (!compressed) throw keycardInvalidArgument('extraTrustedCaKeys', `key ${index} is not a secp256k1 public key`);
    return compressed;
  });

  const checks: AttestationCheck[] = [];
  const chain: KeyChainLink[] = [];
  const add = (id: KeycardCheckId, result: CheckResult, detail: string) => checks.push({ id, label: KEYCARD_CHECK_LABELS[id], result, detail });
  const finish = (failed: KeycardCheckId, detail: string): AttestationReport => {
    add(failed, 'fail', detail);
    for (const id of KEYCARD_CHECK_ORDER.slice(KEYCARD_CHECK_ORDER.indexOf(failed) + 1)) add(id, 'skip', `not checked: "${KEYCARD_CHECK_LABELS[failed]}" failed`);
    return { verdict: 'not-genuine', checks, chain };
  };

  // 1. The answer.
  let answer: IdentAnswer;
  try {
    answer = parseIdentAnswer(input.answer);
  } catch (error) {
    if (!isKeycardError(error, 'BAD_RESPONSE')) throw error;
    return finish('ident-answer', `malformed IDENT answer (${input.answer.length} bytes): ${error.info.reason ?? error.message}`);
  }
  const identHex = toHex(answer.identPublicKey);
  add('ident-answer', 'pass', `98-byte certificate for ident key ${identHex} and a DER challenge signature`);
  chain.push({ role: 'ident-key', subject: 'Keycard ident key (from the card certificate)', publicKeyHex: identHex, source: 'card' });

  // 2. The challenge signature, under the certified key.
  if (!verifyIdentChallengeSignature(input.challenge, answer.challengeSignature, answer.identPublicKey)) {
    return finish('challenge', 'the signature over the 32-byte host challenge does not verify with the certified ident key');
  }
  add('challenge', 'pass', 'the signature over a fresh 32-byte host challenge verifies with the certified ident key');

  // 3. The CA key, recovered from the certificate.
  const caKey = recoverIdentCaKey(answer.identPublicKey, answer.caSignature);
  if (!caKey) {
    return finish('ca-signature', `no public key can be recovered from the certificate signature (recovery id ${answer.caSignature.recoveryId})`);
  }
  const caHex = toHex(caKey);
  add('ca-signature', 'pass', `the certificate is signed by CA key ${caHex}`);

  // 4. Trusted?
  if (KEYCARD_PRODUCTION_CA_KEYS.some((k) => sameBytes(k, caKey))) {
    chain.push({ role: 'ca-key', subject: 'Keycard production CA', publicKeyHex: caHex, source: 'builtin' });
    add('trusted-ca', 'pass', 'the CA is the built-in Keycard production CA');
    return { verdict: 'genuine', checks, chain };
  }
  if (extra.some((k) => sameBytes(k, caKey))) {
    chain.push({ role: 'ca-key', subject: 'extra trusted CA (test, not the production CA)', publicKeyHex: caHex, source: 'extra' });
    add('trusted-ca', 'fail', 'certified only by an extra trusted key (a test CA), not by the Keycard production CA');
    return { verdict: 'test', checks, chain };
  }
  chain.push({ role: 'ca-key', subject: 'unknown CA (not trusted)', publicKeyHex: caHex, source: 'card' });
  add('trusted-ca', 'fail', `CA key ${caHex} is neither the Keycard production CA nor an extra trusted key`);
  return { verdict: 'not-genuine', checks, chain };
}
