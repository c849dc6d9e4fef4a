/** Test support: the emulated Satochip ("abandon ... about") and its ETH account 0, with the APDU counter. */
import { emulatedSatochipSigner } from '../../test-support/emulated-signer.ts';
import { type EthAccount, ethAccount } from '../account.ts';
import type { CardSigner } from '../../signer.ts';

export const CARD_ADDRESS = '0x9858EfFD232B4033E47d90003D41EC34EcaEda94';

export async function ethTestCard(index = 0): Promise<{ signer: CardSigner; account: EthAccount; apdus: () => number }> {
  const { signer, apdus } = await emulatedSatochipSigner();
  return { signer, account: await ethAccount(signer, index), apdus };
}

/** Runs `fn` and returns what it threw (fails the test when it does not throw). */
export async function thrown(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error, none was thrown');
}
