/**
 * Test helpers for the chain tier: raw transactions built and signed with bitcoinjs-lib and
 * @bitcoinerlab/secp256k1 from fixed test keys, on the litecoind regtest encodings (bech32 `rltc`).
 * Test keys only: they guard nothing.
 */
import * as ecc from '@bitcoinerlab/secp256k1';
import { crypto, initEccLib, payments, Psbt, Transaction, type Network } from 'bitcoinjs-lib';

initEccLib(ecc);

/** litecoind 0.21 -regtest encodings. */
export const LITECOIN_REGTEST: Network = {
  messagePrefix: '\x19Litecoin Signed Message:\n',
  bech32: 'rltc',
  bip32: { public: 0x043587cf, private: 0x04358394 },
  pubKeyHash: 0x6f,
  scriptHash: 0x3a,
  wif: 0xef,
};

/** A private key from a label (sha256), for tests. */
export function testKey(label: string): Uint8Array {
  return crypto.sha256(new TextEncoder().encode(label));
}

export interface TestWallet {
  readonly address: string;
  readonly output: Uint8Array;
  /** Signs input `index` of `psbt`. */
  sign(psbt: Psbt, index: number): void;
  /** Adds an input spending `utxo` of this wallet to `psbt`. */
  addInput(psbt: Psbt, utxo: { txid: string; vout: number; value: number }): void;
}

export function p2wpkhWallet(privateKey: Uint8Array): TestWallet {
  const publicKey = ecc.pointFromScalar(privateKey, true) as Uint8Array;
  const payment = payments.p2wpkh({ pubkey: publicKey, network: LITECOIN_REGTEST });
  const output = payment.output as Uint8Array;
  return {
    address: payment.address as string,
    output,
    addInput: (psbt, utxo) => psbt.addInput({ hash: utxo.txid, index: utxo.vout, witnessUtxo: { script: output, value: BigInt(utxo.value) } }),
    sign: (psbt, index) =>
      psbt.signInput(index, { publicKey, sign: (hash: Uint8Array) => ecc.sign(hash, privateKey) as Uint8Array }),
  };
}

/** BIP86-style key-path-only P2TR (no script tree): the output key is the internal key tweaked by its own hash. */
export function p2trWallet(privateKey: Uint8Array): TestWallet {
  let secret = privateKey;
  const internal = ecc.pointFromScalar(secret, true) as Uint8Array;
  if (internal[0] === 3) secret = ecc.privateNegate(secret) as Uint8Array;
  const xOnly = internal.subarray(1, 33);
  const tweaked = ecc.privateAdd(secret, crypto.taggedHash('TapTweak', xOnly)) as Uint8Array;
  const tweakedPublic = ecc.pointFromScalar(tweaked, true) as Uint8Array;
  const payment = payments.p2tr({ internalPubkey: xOnly, network: LITECOIN_REGTEST });
  const output = payment.output as Uint8Array;
  return {
    address: payment.address as string,
    output,
    addInput: (psbt, utxo) =>
      psbt.addInput({ hash: utxo.txid, index: utxo.vout, witnessUtxo: { script: output, value: BigInt(utxo.value) }, tapInternalKey: xOnly }),
    sign: (psbt, index) =>
      psbt.signInput(index, {
        publicKey: tweakedPublic,
        sign: () => {
          throw new Error('taproot key path signs with Schnorr');
        },
        signSchnorr: (hash: Uint8Array) => ecc.signSchnorr(hash, tweaked) as Uint8Array,
      }),
  };
}

/**
 * A signed transaction spending `utxos` of `from`: `amount` to `to`, the rest minus a fee of
 * `feeRate` sat/vB (estimated from a first signing) back to `from`.
 */
export function buildSpend(
  from: TestWallet,
  utxos: readonly { txid: string; vout: number; value: number }[],
  to: string,
  amount: number,
  feeRate = 10,
): { hex: string; txid: string; fee: number; change: number; tx: Transaction } {
  const make = (fee: number): Transaction => {
    const psbt = new Psbt({ network: LITECOIN_REGTEST });
    for (const utxo of utxos) from.addInput(psbt, utxo);
    const total = utxos.reduce((sum, u) => sum + u.value, 0);
    psbt.addOutput({ address: to, value: BigInt(amount) });
    psbt.addOutput({ address: from.address, value: BigInt(total - amount - fee) });
    utxos.forEach((_, i) => from.sign(psbt, i));
    psbt.finalizeAllInputs();
    return psbt.extractTransaction();
  };
  const fee = Math.ceil(make(1000).virtualSize() * feeRate);
  const tx = make(fee);
  const total = utxos.reduce((sum, u) => sum + u.value, 0);
  return { hex: tx.toHex(), txid: tx.getId(), fee, change: total - amount - fee, tx };
}

/** Flips one bit of the first input's first witness item (the signature) inside its r value. */
export function tamperSignature(hex: string): string {
  const tx = Transaction.fromHex(hex);
  const input = tx.ins[0];
  if (!input || input.witness.length === 0) throw new Error('no witness to tamper with');
  const signature = Uint8Array.from(input.witness[0] as Uint8Array);
  signature[10] = (signature[10] as number) ^ 0x01;
  input.witness[0] = signature;
  return tx.toHex();
}

/** Replaces the first input's DER signature's s by n - s (the same signature, high-S form). */
export function highS(hex: string): string {
  const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
  const tx = Transaction.fromHex(hex);
  const input = tx.ins[0];
  const der = input?.witness[0];
  if (!input || !der) throw new Error('no witness signature');
  const rLength = der[3] as number;
  const r = der.subarray(4, 4 + rLength);
  const sLength = der[5 + rLength] as number;
  const s = BigInt(`0x${Buffer.from(der.subarray(6 + rLength, 6 + rLength + sLength)).toString('hex')}`);
  let sBytes = Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex');
  if ((sBytes[0] as number) & 0x80) sBytes = Buffer.concat([Buffer.from([0]), sBytes]);
  const body = Buffer.concat([Buffer.from([0x02, r.length]), r, Buffer.from([0x02, sBytes.length]), sBytes]);
  input.witness[0] = Buffer.concat([Buffer.from([0x30, body.length]), body, Buffer.from([der[der.length - 1] as number])]);
  return tx.toHex();
}
