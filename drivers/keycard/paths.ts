/**
 * Derivation paths as the Keycard takes them (../shared/protocols/keycard.md sections 8-10):
 * 4-byte big-endian child numbers, hardened = bit 31, master = empty, depth at most 10; and the
 * EIP-1581 rule of EXPORT KEY (section 9). Parsing and encoding come from the shared BIP32 module
 * (drivers/satochip/bip32-path.ts); this module only turns its refusals into KeycardErrors.
 */
import { HARDENED, encodeBip32Path, parseBip32Path } from '../satochip/bip32-path.ts';
import { keycardInvalidArgument } from './errors.ts';

/** Section 17: derivation depth. */
export const MAX_PATH_DEPTH = 10;
/** Section 9: `m/43'/60'/1581'`, the only subtree whose private keys EXPORT KEY gives out. */
export const EIP1581_PREFIX: readonly number[] = [43 + HARDENED, 60 + HARDENED, 1581 + HARDENED];
/** Section 9: a private export needs at least two levels below the EIP-1581 prefix. */
export const EIP1581_MIN_PRIVATE_DEPTH = 5;

/** "m/44'/60'/0'/0/0" or child numbers -> child numbers; INVALID_ARGUMENT (KeycardError) when malformed or deeper than 10. */
export function keycardPath(path: string | readonly number[], field = 'path'): number[] {
  if (typeof path !== 'string' && !Array.isArray(path)) throw keycardInvalidArgument(field, 'must be a path string or an array of child numbers');
  let indexes: number[];
  try {
    indexes = parseBip32Path(path);
  } catch (error) {
    const reason = (error as { info?: { reason?: unknown } }).info?.reason;
    throw keycardInvalidArgument(field, typeof reason === 'string' ? reason : 'not a BIP32 path');
  }
  if (indexes.length > MAX_PATH_DEPTH) throw keycardInvalidArgument(field, `depth ${indexes.length}; the card derives at most ${MAX_PATH_DEPTH} levels`);
  return indexes;
}

/** The path bytes of DERIVE KEY, EXPORT KEY, SIGN and SET PINLESS PATH. */
export function encodePath(indexes: readonly number[]): Uint8Array {
  return encodeBip32Path(indexes);
}

/** GET STATUS P1=01 answer (raw 4-byte elements) -> child numbers; null when the length is not a multiple of 4. */
export function decodePath(bytes: Uint8Array): number[] | null {
  if (bytes.length % 4 !== 0 || bytes.length / 4 > MAX_PATH_DEPTH) return null;
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i += 4) out.push(((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0);
  return out;
}

/** Inside `m/43'/60'/1581'` (the prefix itself included). */
export function isEip1581(indexes: readonly number[]): boolean {
  return indexes.length >= EIP1581_PREFIX.length && EIP1581_PREFIX.every((value, i) => indexes[i] === value);
}
