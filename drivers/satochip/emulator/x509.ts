/**
 * X.509 v3 certificates as the Satochip/Seedkeeper personalisation PKI issues them (section 6 of the
 * protocol reference; the shapes of the TEST chain in ../shared/vectors/satochip/satochip-transcript-pki.json):
 * EC keys (root P-384, sub-CAs and devices secp256k1), ecdsa-with-SHA512 for CA certificates and
 * ecdsa-with-SHA256 for device certificates, names of C (PrintableString) and UTF8String O/OU/CN,
 * critical basicConstraints, critical keyUsage on CAs. The card stores and returns the raw DER.
 */
import { p384 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256, sha512 } from './crypto.ts';
import { bitString, boolean, explicit, integer, octetString, oid, printableString, sequence, set, time, utf8String } from './der.ts';

export type Curve = 'secp256k1' | 'P-384';
export type Hash = 'SHA-256' | 'SHA-512';

export interface NameAttribute {
  readonly type: 'C' | 'ST' | 'O' | 'OU' | 'CN';
  readonly value: string;
}

export interface CertificateFields {
  readonly serial: Uint8Array;
  readonly signatureHash: Hash;
  readonly issuer: readonly NameAttribute[];
  readonly subject: readonly NameAttribute[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly curve: Curve;
  /** Uncompressed public point `04 | x | y`. */
  readonly publicKey: Uint8Array;
  /** A CA certificate (with its path length), or an end-entity certificate. */
  readonly ca: { readonly pathLength: number } | null;
}

export interface SigningKey {
  readonly curve: Curve;
  readonly privateKey: Uint8Array;
}

const NAME_OIDS = { C: '2.5.4.6', ST: '2.5.4.8', O: '2.5.4.10', OU: '2.5.4.11', CN: '2.5.4.3' } as const;
const SIGNATURE_OIDS: Record<Hash, string> = { 'SHA-256': '1.2.840.10045.4.3.2', 'SHA-512': '1.2.840.10045.4.3.4' };
const CURVE_OIDS: Record<Curve, string> = { secp256k1: '1.3.132.0.10', 'P-384': '1.3.132.0.34' };
const HASHES: Record<Hash, (data: Uint8Array) => Uint8Array> = { 'SHA-256': sha256, 'SHA-512': sha512 };

export function encodeName(attributes: readonly NameAttribute[]): Uint8Array {
  return sequence(
    ...attributes.map((a) => set(sequence(oid(NAME_OIDS[a.type]), a.type === 'C' ? printableString(a.value) : utf8String(a.value)))),
  );
}

function extensions(ca: CertificateFields['ca']): Uint8Array {
  const basic = sequence(oid('2.5.29.19'), boolean(true), octetString(ca ? sequence(boolean(true), integer(ca.pathLength)) : sequence()));
  if (!ca) return explicit(3, sequence(basic));
  // keyUsage: keyCertSign | cRLSign.
  const keyUsage = sequence(oid('2.5.29.15'), boolean(true), octetString(bitString(Uint8Array.of(0x06), 1)));
  return explicit(3, sequence(basic, keyUsage));
}

export function tbsCertificate(fields: CertificateFields): Uint8Array {
  return sequence(
    explicit(0, integer(2)),
    integer(fields.serial),
    sequence(oid(SIGNATURE_OIDS[fields.signatureHash])),
    encodeName(fields.issuer),
    sequence(time(fields.notBefore), time(fields.notAfter)),
    encodeName(fields.subject),
    sequence(sequence(oid('1.2.840.10045.2.1'), oid(CURVE_OIDS[fields.curve])), bitString(fields.publicKey)),
    extensions(fields.ca),
  );
}

/** Signs the TBS with the issuer key (ECDSA over the named hash, DER signature). */
export function signCertificate(fields: CertificateFields, issuer: SigningKey): Uint8Array {
  const tbs = tbsCertificate(fields);
  const digest = HASHES[fields.signatureHash](tbs);
  const curve = issuer.curve === 'P-384' ? p384 : secp256k1;
  const signature = curve.sign(digest, issuer.privateKey, { prehash: false, lowS: false, format: 'der' });
  return sequence(tbs, sequence(oid(SIGNATURE_OIDS[fields.signatureHash])), bitString(signature));
}

export function publicKeyFor(key: SigningKey): Uint8Array {
  return (key.curve === 'P-384' ? p384 : secp256k1).getPublicKey(key.privateKey, false);
}
