/**
 * The attestation report every card family hands back ("is this card genuine?"), shared by the
 * Satochip/Seedkeeper X.509 check (drivers/satochip/attestation/verify.ts) and the Keycard IDENT
 * check (drivers/keycard/attestation/ident.ts), and shown as is by the app and `tapdesk attest`.
 *
 * - `verdict`: `genuine` only when every check passed against the vendor's built-in production
 *   trust; `test` when everything passed but the trust comes only from a configured extra (test)
 *   root or key (never shown as genuine); `not-genuine` otherwise.
 * - `checks`: EVERY check of the family, in order, each `pass`, `fail` or `skip` (a check that
 *   could not run because an earlier one failed), with a human detail.
 * - `chain`: what vouches for the card, card first: certificates (Satochip) or public keys (Keycard).
 */

export type AttestationVerdict = 'genuine' | 'test' | 'not-genuine';
export type CheckResult = 'pass' | 'fail' | 'skip';

/** Satochip/Seedkeeper checks (device certificate, chain, binding, challenge). */
export type SatochipCheckId = 'certificate' | 'chain' | 'constraints' | 'validity' | 'product' | 'subject-binding' | 'key-binding' | 'challenge';

/** Keycard IDENT checks: answer parsed, challenge signed by the ident key, CA key recovered, CA trusted. */
export type KeycardCheckId = 'ident-answer' | 'challenge' | 'ca-signature' | 'trusted-ca';

export type AttestationCheckId = SatochipCheckId | KeycardCheckId;

export interface AttestationCheck {
  readonly id: AttestationCheckId;
  readonly label: string;
  readonly result: CheckResult;
  readonly detail: string;
}

/** Where a link of the chain came from: the card, the built-in trust, or the extra (test) trust. */
export type ChainSource = 'card' | 'builtin' | 'extra';

/** One X.509 certificate of a Satochip/Seedkeeper chain. */
export interface CertificateChainLink {
  readonly role: 'device' | 'sub-CA' | 'root';
  readonly subject: string;
  readonly issuer: string;
  readonly serial: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly sha256Fingerprint: string;
  /** Where this certificate came from: the card, the built-in anchors, or the extra (test) trust file. */
  readonly source: ChainSource;
  readonly derHex: string;
}

/**
 * One public key of a Keycard chain: the card's ident key (source `card`), then the CA key
 * recovered from its certificate: `builtin` (the production CA), `extra` (a configured test CA) or
 * `card` (trusted by nobody, shown so the person can see which CA it was).
 */
export interface KeyChainLink {
  readonly role: 'ident-key' | 'ca-key';
  /** What the key is, in words ("Keycard production CA", "extra trusted CA (test)", ...). */
  readonly subject: string;
  /** Compressed secp256k1 public key, 33 bytes, lowercase hex. */
  readonly publicKeyHex: string;
  readonly source: ChainSource;
}

export type ChainLink = CertificateChainLink | KeyChainLink;

export interface AttestationReport {
  readonly verdict: AttestationVerdict;
  readonly checks: readonly AttestationCheck[];
  readonly chain: readonly ChainLink[];
}

export function isKeyChainLink(link: ChainLink): link is KeyChainLink {
  return link.role === 'ident-key' || link.role === 'ca-key';
}

/** One line for a chain link (CLI and logs). */
export function describeChainLink(link: ChainLink): string {
  if (isKeyChainLink(link)) return `${link.role}: ${link.subject} (${link.source}, key ${link.publicKeyHex})`;
  return `${link.role}: ${link.subject} (${link.source}, sha256 ${link.sha256Fingerprint.slice(0, 16)}...)`;
}
