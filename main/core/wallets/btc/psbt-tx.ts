/**
 * The unsigned transaction inside a PSBT, as a bitcoinjs-lib Transaction (outputs with their scripts
 * and values, inputs with outpoints and sequences), and the PSBT map types bitcoinjs-lib uses.
 * Read from the PSBT's own bytes, so no address is computed on the way (bitcoinjs-lib's txOutputs does,
 * and warns on the console for unknown segwit versions).
 */
import { Transaction, type Psbt } from 'bitcoinjs-lib';

export type PsbtInputMap = Psbt['data']['inputs'][number];
export type PsbtOutputMap = Psbt['data']['outputs'][number];
export type Bip32DerivationEntry = NonNullable<PsbtInputMap['bip32Derivation']>[number];

export function unsignedTransaction(psbt: Psbt): Transaction {
  return Transaction.fromBuffer(psbt.data.getTransaction());
}
