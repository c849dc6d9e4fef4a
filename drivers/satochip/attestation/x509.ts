/**
 * X.509 v3 certificates (RFC 5280 section 4.1) with EC keys, as used by the Satochip/Seedkeeper
 * personalisation PKI: a P-384 root, secp256k1 sub-CAs and device certificates, signed with
 * ecdsa-with-SHA256/384/512.
 */
import { DerError, type DerNode, TAG, bitStringBytes, childrenOf, expectTag, oidToString, parseDer, timeOf } from './der.ts';

export const OID = {
  commonName: '2.5.4.3',
  country: '2.5.4.6',
  state: '2.5.4.8',
  organization: '2.5.4.10',
  organizationalUnit: '2.5.4.11',
  ecPublicKey: '1.2.840.10045.2.1',
  secp256k1: '1.3.132.0.10',
  secp384r1: '1.3.132.0.34',
  prime256v1: '1.2.840.10045.3.1.7',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  basicConstraints: '2.5.29.19',
} as const;

const ATTRIBUTE_NAMES: Record<string, string> = {
  [OID.commonName]: 'CN',
  [OID.country]: 'C',
  [OID.state]: 'ST',
  [OID.organization]: 'O',
  [OID.organizationalUnit]: 'OU',
};

export type CurveName = 'secp256k1' | 'P-384' | 'P-256';
export type HashName = 'SHA-256' | 'SHA-384' | 'SHA-512';

export interface Certificate {
  readonly der: Uint8Array;
  /** The signed part, exactly as encoded. */
  readonly tbs: Uint8Array;
  readonly serialHex: string;
  readonly issuer: DistinguishedName;
  readonly subject: DistinguishedName;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly curve: CurveName;
  /** Uncompressed public key point 04|x|y. */
  readonly publicKey: Uint8Array;
  readonly signatureHash: HashName;
  /** DER ECDSA-Sig-Value. */
  readonly signature: Uint8Array;
  /** basicConstraints cA, and pathLenConstraint when present. */
  readonly isCa: boolean;
  readonly pathLength?: number;
}

export interface DistinguishedName {
  /** RFC 4514-like text, most specific first: "CN=...,OU=...,O=...,C=..." */
  readonly text: string;
  readonly attributes: readonly { readonly type: string; readonly value: string }[];
  readonly commonName?: string;
}

function parseName(node: DerNode): DistinguishedName {
  const attributes: { type: string; value: string }[] = [];
  for (const rdn of childrenOf(expectTag(node, TAG.SEQUENCE, 'Name'))) {
    for (const atv of childrenOf(expectTag(rdn, TAG.SET, 'RDN'))) {
      const [type, value] = childrenOf(expectTag(atv, TAG.SEQUENCE, 'AttributeTypeAndValue'));
      if (!type || !value) throw new DerError('bad attribute');
      const oid = oidToString(type);
      attributes.push({ type: ATTRIBUTE_NAMES[oid] ?? oid, value: new TextDecoder('utf-8', { fatal: true }).decode(value.value) });
    }
  }
  const text = [...attributes].reverse().map((a) => `${a.type}=${a.value}`).join(',');
  const commonName = attributes.find((a) => a.type === 'CN')?.value;
  return commonName === undefined ? { text, attributes } : { text, attributes, commonName };
}

function signatureHashOf(node: DerNode): HashName {
  const [oidNode] = childrenOf(expectTag(node, TAG.SEQUENCE, 'AlgorithmIdentifier'));
  const oid = oidToString(expectTag(oidNode, TAG.OID, 'algorithm'));
  if (oid === OID.ecdsaWithSha256) return 'SHA-256';
  if (oid === OID.ecdsaWithSha384) return 'SHA-384';
  if (oid === OID.ecdsaWithSha512) return 'SHA-512';
  throw new DerError(`unsupported signature algorithm ${oid}`);
}

function parseSpki(node: DerNode): { curve: CurveName; publicKey: Uint8Array } {
  const [algorithm, key] = childrenOf(expectTag(node, TAG.SEQUENCE, 'SubjectPublicKeyInfo'));
  const [algOid, curveOid] = childrenOf(expectTag(algorithm, TAG.SEQUENCE, 'algorithm'));
  if (oidToString(expectTag(algOid, TAG.OID, 'key algorithm')) !== OID.ecPublicKey) throw new DerError('not an EC key');
  const curveText = oidToString(expectTag(curveOid, TAG.OID, 'curve'));
  const curve: CurveName | undefined =
    curveText === OID.secp256k1 ? 'secp256k1' : curveText === OID.secp384r1 ? 'P-384' : curveText === OID.prime256v1 ? 'P-256' : undefined;
  if (!curve) throw new DerError(`unsupported curve ${curveText}`);
  const publicKey = bitStringBytes(expectTag(key, TAG.BIT_STRING, 'subjectPublicKey'));
  const size = curve === 'P-384' ? 97 : 65;
  if (publicKey.length !== size || publicKey[0] !== 0x04) throw new DerError('public key is not an uncompressed point');
  return { curve, publicKey: Uint8Array.from(publicKey) };
}

function parseBasicConstraints(extensions: DerNode | undefined): { isCa: boolean; pathLength?: number } {
  if (!extensions) return { isCa: false };
  const [list] = childrenOf(extensions); // [3] EXPLICIT Extensions
  for (const extension of childrenOf(expectTag(list, TAG.SEQUENCE, 'Extensions'))) {
    const parts = childrenOf(expectTag(extension, TAG.SEQUENCE, 'Extension'));
    if (oidToString(expectTag(parts[0], TAG.OID, 'extnID')) !== OID.basicConstraints) continue;
    const octets = expectTag(parts[parts.length - 1], TAG.OCTET_STRING, 'extnValue');
    const fields = childrenOf(expectTag(parseDer(octets.value), TAG.SEQUENCE, 'BasicConstraints'));
    let isCa = false;
    let pathLength: number | undefined;
    for (const field of fields) {
      if (field.tag === 0x01) isCa = field.value[0] === 0xff;
      if (field.tag === TAG.INTEGER) pathLength = field.value.reduce((acc, b) => acc * 256 + b, 0);
    }
    return pathLength === undefined ? { isCa } : { isCa, pathLength };
  }
  return { isCa: false };
}

/** Parse a DER certificate; throws DerError when it is not one we can check. */
export function parseCertificate(der: Uint8Array): Certificate {
  const [tbsNode, algorithm, signatureNode] = childrenOf(expectTag(parseDer(der), TAG.SEQUENCE, 'Certificate'));
  const tbsFields = childrenOf(expectTag(tbsNode, TAG.SEQUENCE, 'TBSCertificate'));
  let i = 0;
  if (tbsFields[0]?.tag === 0xa0) i += 1; // [0] version
  const serial = expectTag(tbsFields[i++], TAG.INTEGER, 'serialNumber');
  const innerAlgorithm = tbsFields[i++]!;
  const issuer = parseName(tbsFields[i++]!);
  const [notBefore, notAfter] = childrenOf(expectTag(tbsFields[i++], TAG.SEQUENCE, 'Validity'));
  const subject = parseName(tbsFields[i++]!);
  const spki = parseSpki(tbsFields[i++]!);
  const extensions = tbsFields.find((f) => f.tag === 0xa3);
  const signatureHash = signatureHashOf(expectTag(algorithm, TAG.SEQUENCE, 'signatureAlgorithm'));
  if (signatureHashOf(innerAlgorithm) !== signatureHash) throw new DerError('signature algorithms disagree');
  return {
    der: Uint8Array.from(der),
    tbs: Uint8Array.from(tbsNode!.raw),
    serialHex: Buffer.from(serial.value).toString('hex'),
    issuer,
    subject,
    notBefore: timeOf(notBefore!),
    notAfter: timeOf(notAfter!),
    ...spki,
    signatureHash,
    signature: Uint8Array.from(bitStringBytes(expectTag(signatureNode, TAG.BIT_STRING, 'signatureValue'))),
    ...parseBasicConstraints(extensions),
  };
}
