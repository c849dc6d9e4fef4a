/**
 * What LOAD KEY sends and what it must answer (../shared/protocols/keycard.md section 8;
 * `primitives.json keys`): the key-pair template `A1 { [80 41 pub] 81 20 priv [82 20 chain code] }`
 * and the key UID = SHA-256(65-byte uncompressed master public key), computed on the host so the
 * card's answer can be checked.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { HDKey } from '@scure/bip32';
import { bytesEqual, concat, isBytes } from './bytes.ts';
import { keycardInvalidArgument } from './errors.ts';
import { encodeTlv } from './tlv.ts';

export interface KeyPairToLoad {
  /** 32-byte secp256k1 private key. */
  readonly privateKey: Uint8Array;
  /** 32 bytes: makes the key derivable (extended). */
  readonly chainCode?: Uint8Array;
  /** 65-byte uncompressed public key (optional; must match the private key). */
  readonly publicKey?: Uint8Array;
}

/** Key UID of a 65-byte uncompressed master public key. */
export function keyUidOf(publicKey: Uint8Array): Uint8Array {
  return sha256(publicKey);
}

/** Key UID the card will answer for a 64-byte BIP39 seed (BIP32 master, HMAC-SHA512 "Bitcoin seed"). INVALID_ARGUMENT when the seed gives no valid master key. */
export function keyUidForSeed(seed: Uint8Array): Uint8Array {
  let master: HDKey;
  try {
    master = HDKey.fromMasterSeed(seed);
  } catch {
    throw keycardInvalidArgument('seed', 'gives no valid BIP32 master key');
  }
  const publicKey = secp256k1.Point.fromBytes(master.publicKey!).toBytes(false);
  master.wipePrivateData();
  return keyUidOf(publicKey);
}

/** Validates a key pair and returns the LOAD KEY template and the expected key UID. */
export function keyPairTemplate(key: KeyPairToLoad): { data: Uint8Array; keyUid: Uint8Array; extended: boolean } {
  if (typeof key !== 'object' || key === null) throw keycardInvalidArgument('key', 'must be an object');
  if (!isBytes(key.privateKey, 32) || !secp256k1.utils.isValidSecretKey(key.privateKey)) throw keycardInvalidArgument('privateKey', 'must be a valid 32-byte secp256k1 private key');
  if (key.chainCode !== undefined && !isBytes(key.chainCode, 32)) throw keycardInvalidArgument('chainCode', 'must be 32 bytes');
  const publicKey = secp256k1.getPublicKey(key.privateKey, false);
  if (key.publicKey !== undefined && !(isBytes(key.publicKey, 65) && bytesEqual(key.publicKey, publicKey))) {
    throw keycardInvalidArgument('publicKey', 'must be the 65-byte uncompressed public key of privateKey');
  }
  const inner = concat(
    ...(key.publicKey !== undefined ? [encodeTlv(0x80, key.publicKey)] : []),
    encodeTlv(0x81, key.privateKey),
    ...(key.chainCode !== undefined ? [encodeTlv(0x82, key.chainCode)] : []),
  );
  return { data: encodeTlv(0xa1, inner), keyUid: keyUidOf(publicKey), extended: key.chainCode !== undefined };
}
