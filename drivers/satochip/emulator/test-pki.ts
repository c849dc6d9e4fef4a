/**
 * A TEST personalisation CA for emulated cards (section 6.3, 6.4): a P-384 root and one secp256k1
 * sub-CA per product (OU Satochip / SeedKeeper, as the production sub-CAs), deterministic from a
 * seed so the same CA comes back in every run. Never a production anchor: the attestation check
 * reports a card chained to it as a test card (drivers/satochip/attestation).
 *
 * The device certificate names the card by CN = lowercase hex SHA-1 of the card-manager identifier
 * (CPLC | IIN | CIN); an emulated card has no card manager, so the identifier is empty (section 6.2).
 */
import { p384 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hex } from './bytes.ts';
import { sha1, sha256 } from './crypto.ts';
import { seededRandom } from './random.ts';
import { publicKeyFor, signCertificate, type NameAttribute, type SigningKey } from './x509.ts';

export type Product = 'Satochip' | 'SeedKeeper';

export interface TestCertificateAuthority {
  readonly root: { readonly key: SigningKey; readonly certificate: Uint8Array };
  readonly subCas: Readonly<Record<Product, { readonly key: SigningKey; readonly certificate: Uint8Array; readonly name: readonly NameAttribute[] }>>;
}

const NOT_BEFORE = new Date('2024-01-01T12:00:00Z');
const NOT_AFTER = new Date('2044-01-01T12:00:00Z');
const ORG: readonly NameAttribute[] = [
  { type: 'C', value: 'BE' },
  { type: 'O', value: 'Tapdesk TEST' },
];

function keyFrom(seed: string, curve: 'secp256k1' | 'P-384'): SigningKey {
  const impl = curve === 'P-384' ? p384 : secp256k1;
  return { curve, privateKey: impl.utils.randomSecretKey(seededRandom(seed).bytes(impl.lengths.seed!)) };
}

const serialFrom = (seed: string) => {
  const s = sha256(new TextEncoder().encode(seed)).slice(0, 9);
  s[0]! &= 0x7f;
  return s;
};

/** The emulator TEST CA (root + Satochip and SeedKeeper sub-CAs), derived from `seed`. */
export function createTestCa(seed = 'Tapdesk emulator TEST CA'): TestCertificateAuthority {
  const rootKey = keyFrom(`${seed}/root`, 'P-384');
  const rootName: NameAttribute[] = [...ORG, { type: 'CN', value: 'TEST Tapdesk emulator Root CA (not genuine)' }];
  const validity = { notBefore: NOT_BEFORE, notAfter: NOT_AFTER };
  const root = signCertificate(
    { serial: Uint8Array.of(1), signatureHash: 'SHA-512', issuer: rootName, subject: rootName, ...validity, curve: 'P-384', publicKey: publicKeyFor(rootKey), ca: { pathLength: 1 } },
    rootKey,
  );
  const subCa = (product: Product, serial: number) => {
    const key = keyFrom(`${seed}/${product}`, 'secp256k1');
    const name: NameAttribute[] = [...ORG, { type: 'OU', value: product }, { type: 'CN', value: `TEST Tapdesk emulator ${product} SubCA (not genuine)` }];
    const certificate = signCertificate(
      { serial: Uint8Array.of(serial), signatureHash: 'SHA-512', issuer: rootName, subject: name, ...validity, curve: 'secp256k1', publicKey: publicKeyFor(key), ca: { pathLength: 0 } },
      rootKey,
    );
    return { key, certificate, name };
  };
  return { root: { key: rootKey, certificate: root }, subCas: { Satochip: subCa('Satochip', 3), SeedKeeper: subCa('SeedKeeper', 2) } };
}

export interface DeviceCertificateOptions {
  /** CPLC | IIN | CIN data as the card manager returns them (empty: emulated card, no card manager). */
  readonly cardIdentifier?: Uint8Array;
  readonly serial?: Uint8Array;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

/** A device certificate for a card authentikey, issued by the product's TEST sub-CA (ecdsa-with-SHA256). */
export function issueDeviceCertificate(ca: TestCertificateAuthority, product: Product, authentikey: Uint8Array, options: DeviceCertificateOptions = {}): Uint8Array {
  const issuer = ca.subCas[product];
  return signCertificate(
    {
      serial: options.serial ?? serialFrom(hex(authentikey)),
      signatureHash: 'SHA-256',
      issuer: issuer.name,
      subject: [...ORG, { type: 'CN', value: hex(sha1(options.cardIdentifier ?? new Uint8Array(0))) }],
      notBefore: options.notBefore ?? NOT_BEFORE,
      notAfter: options.notAfter ?? NOT_AFTER,
      curve: 'secp256k1',
      publicKey: authentikey,
      ca: null,
    },
    issuer.key,
  );
}
