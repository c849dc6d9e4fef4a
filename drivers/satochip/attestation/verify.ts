/**
 * Is this card genuine? Checks the Satochip/Seedkeeper device certificate the way the reference
 * client does (../shared/protocols/satochip-seedkeeper.md section 6.2), and reports every check:
 *
 *  1. the device certificate is well-formed X.509 with an EC key;
 *  2. its chain, built by signature (never by name: the vendor's TEST sub-CAs reuse the production
 *     names), reaches the built-in production root, or only a configured extra (test) root;
 *  3. CA constraints and validity periods along the chain;
 *  4. the issuing sub-CA is the one for this product;
 *  5. the subject CN is lowercase hex SHA-1 of the card-manager identifier (CPLC|IIN|CIN);
 *  6. the certificate key is the authentikey the secure channel is bound to;
 *  7. the card signed "Challenge:" | card_chal | host_chal (a fresh host challenge) with that key.
 *
 * Verdict: `genuine` only when every check passes and the chain ends at the built-in root;
 * `test` when everything passes but the chain ends only at an extra root; otherwise `not-genuine`.
 */
import { p256, p384 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { type Certificate, type CurveName, type HashName, parseCertificate } from './x509.ts';
import { BUILTIN_ANCHORS } from './trust-anchors.ts';
import type {
  AttestationCheck,
  AttestationReport,
  AttestationVerdict,
  CertificateChainLink,
  CheckResult,
  SatochipCheckId,
} from '../../attestation-report.ts';

export type {
  AttestationCheck,
  AttestationCheckId,
  AttestationReport,
  AttestationVerdict,
  CertificateChainLink,
  ChainLink,
  CheckResult,
} from '../../attestation-report.ts';

export interface AttestationEvidence {
  readonly product: 'Satochip' | 'SeedKeeper';
  readonly deviceCertificate: Uint8Array;
  /** CPLC | IIN | CIN data fields as the card manager returned them; empty when it has none. */
  readonly deviceIdentifier: Uint8Array;
  /** The 65-byte authentikey the secure channel was verified against. */
  readonly authentikey: Uint8Array;
  readonly challenge?: { readonly host: Uint8Array; readonly card: Uint8Array; readonly signature: Uint8Array };
  /** Certificates from a configured extra trust file (test CAs): self-signed ones are roots. */
  readonly extraTrust?: readonly Uint8Array[];
  readonly now?: Date;
}

const HASHES: Record<HashName, (data: Uint8Array) => Uint8Array> = { 'SHA-256': sha256, 'SHA-384': sha384, 'SHA-512': sha512 };
const CURVES: Record<CurveName, typeof secp256k1 | typeof p384 | typeof p256> = { secp256k1, 'P-384': p384, 'P-256': p256 };

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

/** Does `issuer`'s key verify `cert`'s signature? DER signatures, high S allowed (X.509 does not require low S). */
export function signedBy(cert: Certificate, issuer: Certificate): boolean {
  try {
    const digest = HASHES[cert.signatureHash](cert.tbs);
    return CURVES[issuer.curve].verify(cert.signature, digest, issuer.publicKey, { prehash: false, lowS: false, format: 'der' });
  } catch {
    return false;
  }
}

/** The message the card signs in CHALLENGE-RESPONSE (section 6.1). */
export function challengeMessage(card: Uint8Array, host: Uint8Array): Uint8Array {
  return Uint8Array.from([...new TextEncoder().encode('Challenge:'), ...card, ...host]);
}

interface Candidate {
  readonly cert: Certificate;
  readonly source: 'builtin' | 'extra';
}

function loadCandidates(extra: readonly Uint8Array[]): { roots: Candidate[]; subCas: Candidate[]; extraErrors: number } {
  const roots: Candidate[] = [];
  const subCas: Candidate[] = [];
  for (const anchor of BUILTIN_ANCHORS) {
    const cert = parseCertificate(Buffer.from(anchor.derHex, 'hex'));
    (anchor.role === 'root' ? roots : subCas).push({ cert, source: 'builtin' });
  }
  let extraErrors = 0;
  for (const der of extra) {
    try {
      const cert = parseCertificate(der);
      const selfSigned = cert.subject.text === cert.issuer.text && signedBy(cert, cert);
      (selfSigned ? roots : subCas).push({ cert, source: 'extra' });
    } catch {
      extraErrors += 1;
    }
  }
  return { roots, subCas, extraErrors };
}

function link(role: CertificateChainLink['role'], cert: Certificate, source: CertificateChainLink['source']): CertificateChainLink {
  return {
    role,
    subject: cert.subject.text,
    issuer: cert.issuer.text,
    serial: cert.serialHex,
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    sha256Fingerprint: hex(sha256(cert.der)),
    source,
    derHex: hex(cert.der),
  };
}

export function verifyAttestation(evidence: AttestationEvidence): AttestationReport {
  const checks: AttestationCheck[] = [];
  const add = (id: SatochipCheckId, label: string, result: CheckResult, detail: string) => checks.push({ id, label, result, detail });
  const now = evidence.now ?? new Date();

  let device: Certificate;
  try {
    device = parseCertificate(evidence.deviceCertificate);
    add('certificate', 'Device certificate is well-formed', 'pass', `X.509, ${device.curve} key, signed with ${device.signatureHash}`);
  } catch (error) {
    add('certificate', 'Device certificate is well-formed', 'fail', error instanceof Error ? error.message : String(error));
    for (const [id, label] of [
      ['chain', 'Chain to the Toporin root CA'],
      ['constraints', 'CA constraints'],
      ['validity', 'Validity periods'],
      ['product', 'Issued for this product'],
      ['subject-binding', 'Certificate names this card'],
      ['key-binding', 'Certificate key is the card key'],
      ['challenge', 'Card proves it holds the key'],
    ] as const) {
      add(id, label, 'skip', 'no usable device certificate');
    }
    return { verdict: 'not-genuine', checks, chain: [] };
  }

  // 2. Chain, by signature.
  const { roots, subCas, extraErrors } = loadCandidates(evidence.extraTrust ?? []);
  const chain: CertificateChainLink[] = [link('device', device, 'card')];
  const issuerCa = subCas.find((c) => signedBy(device, c.cert));
  const root = issuerCa ? roots.find((r) => signedBy(issuerCa.cert, r.cert)) : undefined;
  if (issuerCa) chain.push(link('sub-CA', issuerCa.cert, issuerCa.source));
  if (root) chain.push(link('root', root.cert, root.source));
  const anchoredAt = root?.source ?? null;
  const extraNote = extraErrors ? ` (${extraErrors} certificate(s) in the extra trust file could not be read)` : '';
  if (!issuerCa) {
    add('chain', 'Chain to the Toporin root CA', 'fail', `no known sub-CA signed the device certificate (issuer named "${device.issuer.text}")${extraNote}`);
  } else if (!root) {
    add('chain', 'Chain to the Toporin root CA', 'fail', `sub-CA "${issuerCa.cert.subject.text}" is not signed by a trusted root${extraNote}`);
  } else if (anchoredAt === 'builtin' && issuerCa.source === 'builtin') {
    add('chain', 'Chain to the Toporin root CA', 'pass', `device <- ${issuerCa.cert.subject.commonName} <- ${root.cert.subject.commonName} (built-in)`);
  } else {
    add(
      'chain',
      'Chain to the Toporin root CA',
      'fail',
      `chains only to the extra trust root "${root.cert.subject.text}" (a test CA, not the production root)${extraNote}`,
    );
  }

  // 3. Constraints and 4. validity along what we found.
  const cas = [issuerCa?.cert, root?.cert].filter((c): c is Certificate => c !== undefined);
  if (cas.length === 0) add('constraints', 'CA constraints', 'skip', 'no chain');
  else {
    const bad = cas.filter((c) => !c.isCa);
    const subPath = issuerCa?.cert.pathLength;
    if (bad.length) add('constraints', 'CA constraints', 'fail', `not a CA: ${bad.map((c) => c.subject.text).join('; ')}`);
    else if (subPath !== undefined && subPath !== 0) add('constraints', 'CA constraints', 'fail', `sub-CA path length ${subPath}, expected 0`);
    else if (device.isCa) add('constraints', 'CA constraints', 'fail', 'the device certificate claims to be a CA');
    else add('constraints', 'CA constraints', 'pass', 'issuers are CAs, the device certificate is not');
  }
  const expired = [device, ...cas].filter((c) => now < c.notBefore || now > c.notAfter);
  add(
    'validity',
    'Validity periods',
    expired.length ? 'fail' : 'pass',
    expired.length
      ? `outside its validity on ${now.toISOString()}: ${expired.map((c) => c.subject.text).join('; ')}`
      : `all certificates valid on ${now.toISOString().slice(0, 10)}`,
  );

  // 5. Product.
  const ou = issuerCa?.cert.subject.attributes.find((a) => a.type === 'OU')?.value;
  if (!issuerCa) add('product', 'Issued for this product', 'skip', 'no issuing sub-CA');
  else if (ou?.toLowerCase() === evidence.product.toLowerCase()) add('product', 'Issued for this product', 'pass', `issued by the ${ou} sub-CA`);
  else add('product', 'Issued for this product', 'fail', `issued by the ${ou ?? 'unnamed'} sub-CA, but the card is a ${evidence.product}`);

  // 6. Subject binding.
  const expectedCn = hex(sha1(evidence.deviceIdentifier));
  const cn = device.subject.commonName ?? '';
  add(
    'subject-binding',
    'Certificate names this card',
    cn.toLowerCase() === expectedCn ? 'pass' : 'fail',
    cn.toLowerCase() === expectedCn
      ? `CN = SHA-1 of the card identifier (${evidence.deviceIdentifier.length ? `${evidence.deviceIdentifier.length} bytes` : 'empty: no card manager'})`
      : `CN "${cn}" but SHA-1 of this card's identifier is ${expectedCn}`,
  );

  // 7. Key binding.
  const keyMatches = device.curve === 'secp256k1' && sameBytes(device.publicKey, evidence.authentikey);
  add(
    'key-binding',
    'Certificate key is the card key',
    keyMatches ? 'pass' : 'fail',
    keyMatches ? 'the certified key is the authentikey the secure channel was opened with' : 'the certified key differs from the card authentikey',
  );

  // 8. Challenge-response.
  const challenge = evidence.challenge;
  if (!challenge) add('challenge', 'Card proves it holds the key', 'skip', 'no challenge was made');
  else {
    let ok = false;
    try {
      ok =
        challenge.host.length === 32 &&
        challenge.card.length === 32 &&
        device.curve === 'secp256k1' &&
        secp256k1.verify(challenge.signature, sha256(challengeMessage(challenge.card, challenge.host)), device.publicKey, {
          prehash: false,
          lowS: false,
          format: 'der',
        });
    } catch {
      ok = false;
    }
    add(
      'challenge',
      'Card proves it holds the key',
      ok ? 'pass' : 'fail',
      ok ? 'signature over a fresh 32-byte host challenge verifies with the certified key' : 'the challenge signature does not verify',
    );
  }

  const allPass = checks.every((c) => c.result === 'pass');
  const onlyChainIsTest = checks.every((c) => c.result === 'pass' || c.id === 'chain') && anchoredAt === 'extra' && Boolean(issuerCa);
  const verdict: AttestationVerdict = allPass ? 'genuine' : onlyChainIsTest ? 'test' : 'not-genuine';
  return { verdict, checks, chain };
}
