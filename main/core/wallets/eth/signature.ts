/**
 * The card's digest signature -> an Ethereum signature (r, s, yParity), checked: 64 bytes, low S
 * (EIP-2), recovery id 0 or 1, made by the account's key; and the signer check every signing path ends
 * with: what the signature recovers to must be the card's address.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { Signature, getBytes, hexlify, recoverAddress } from 'ethers';
import type { DigestSignature } from '../signer.ts';
import type { EthAccount } from './account.ts';
import { EthError } from './errors.ts';

const N = secp256k1.Point.CURVE().n;

export function ethSignature(signed: DigestSignature, account: EthAccount): Signature {
  const { signature, recoveryId } = signed;
  if (signature.length !== 64) throw new EthError('BAD_SIGNATURE', 'a card signature is 64 bytes r || s', { actual: signature.length });
  const r = BigInt(hexlify(signature.subarray(0, 32)));
  const s = BigInt(hexlify(signature.subarray(32)));
  if (r === 0n || r >= N || s === 0n || s > N >> 1n) {
    throw new EthError('BAD_SIGNATURE', 'the card signature is out of range or not low-S', { path: account.path });
  }
  // 2 and 3 mean r overflowed the group order: no Ethereum v encodes that.
  if (recoveryId !== 0 && recoveryId !== 1) {
    throw new EthError('BAD_SIGNATURE', 'the recovery id is not 0 or 1', { actual: recoveryId, path: account.path });
  }
  if (hexlify(signed.publicKey) !== account.publicKey) {
    throw new EthError('SIGNER_MISMATCH', 'the card signed with another key than the account', { path: account.path, address: account.address });
  }
  return Signature.from({ r: hexlify(signature.subarray(0, 32)), s: hexlify(signature.subarray(32)), yParity: recoveryId as 0 | 1 });
}

/** SIGNER_MISMATCH unless `recovered` is the account's address. */
export function checkSigner(recovered: string | null | undefined, account: EthAccount): void {
  if (!recovered || recovered.toLowerCase() !== account.address.toLowerCase()) {
    throw new EthError('SIGNER_MISMATCH', 'the signature does not recover to the card address', {
      expected: account.address,
      actual: recovered ?? 'none',
      path: account.path,
    });
  }
}

/** SIGNER_MISMATCH unless `signature` over `digest` recovers to the account's address. */
export function checkSignature(signature: Signature | null, digest: string, account: EthAccount): void {
  let recovered: string | null = null;
  try {
    if (signature) recovered = recoverAddress(digest, signature);
  } catch {
    recovered = null;
  }
  checkSigner(recovered, account);
}

/** 65 bytes r || s || v, v = 27 + yParity (personal_sign, eth_signTypedData). */
export function rsv(signature: Signature): string {
  const bytes = getBytes(signature.serialized);
  if (bytes.length !== 65 || (bytes[64] !== 27 && bytes[64] !== 28)) throw new EthError('BAD_SIGNATURE', 'not a 65-byte r || s || v');
  return signature.serialized;
}
