/**
 * The least gas a transaction can carry (the node refuses it below this): the intrinsic cost
 * (21000, calldata 4/16 per zero/non-zero byte, contract creation 32000 + 2 per init-code word,
 * access list 2400 per address and 1900 per storage key) and, since Prague, the EIP-7623 calldata
 * floor (21000 + 10 per calldata token, a non-zero byte being 4 tokens).
 */
import { getBytes } from 'ethers';

export interface GasShape {
  readonly to: string | null;
  readonly data: string;
  readonly accessList?: readonly { readonly address: string; readonly storageKeys: readonly string[] }[] | null;
}

export const TRANSFER_GAS = 21_000n;

export function minimumGas(tx: GasShape): bigint {
  const data = getBytes(tx.data);
  let zeros = 0n;
  for (const byte of data) if (byte === 0) zeros++;
  const nonZeros = BigInt(data.length) - zeros;
  let intrinsic = TRANSFER_GAS + 4n * zeros + 16n * nonZeros;
  if (tx.to === null) intrinsic += 32_000n + 2n * ((BigInt(data.length) + 31n) / 32n);
  for (const entry of tx.accessList ?? []) intrinsic += 2_400n + 1_900n * BigInt(entry.storageKeys.length);
  const floor = TRANSFER_GAS + 10n * (zeros + 4n * nonZeros);
  return intrinsic > floor ? intrinsic : floor;
}
