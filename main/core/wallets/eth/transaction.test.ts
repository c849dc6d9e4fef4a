import { secp256k1 } from '@noble/curves/secp256k1.js';
import { Signature, Transaction, Wallet, hexlify, parseEther, parseUnits } from 'ethers';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CardSigner } from '../signer.ts';
import { isEthError } from './errors.ts';
import { parseUnsignedTransaction } from './import.ts';
import { MAINNET, SEPOLIA, customNetwork } from './networks.ts';
import { CARD_ADDRESS, ethTestCard, thrown } from './test-support/card.ts';
import { type EthTxRequest, buildTransaction, signTransaction } from './transaction.ts';

const ANVIL = customNetwork(31337, 'Anvil (local)');
const BOB = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const REQUEST: EthTxRequest = {
  to: BOB,
  value: parseEther('0.5'),
  nonce: 3,
  gasLimit: 21_000,
  maxFeePerGas: parseUnits('30', 'gwei'),
  maxPriorityFeePerGas: parseUnits('1', 'gwei'),
};
const N = secp256k1.Point.CURVE().n;

/** One emulated card for the file: every test reads the APDU counter around its own calls. */
let card: Awaited<ReturnType<typeof ethTestCard>>;
beforeAll(async () => {
  card = await ethTestCard();
});

describe('EIP-1559 transactions signed by the card', () => {
  it('signs: the recovered sender is the card address, fields as requested, low S', async () => {
    const { signer, account, apdus } = card;
    const before = apdus();
    const signed = await signTransaction(signer, account, buildTransaction(REQUEST, ANVIL), ANVIL);
    expect(apdus()).toBeGreaterThan(before);
    const tx = Transaction.from(signed.raw);
    expect(tx.from).toBe(CARD_ADDRESS);
    expect(signed.from).toBe(CARD_ADDRESS);
    expect(signed.hash).toBe(tx.hash);
    expect(tx.type).toBe(2);
    expect(tx.chainId).toBe(31337n);
    expect(tx.to).toBe(BOB);
    expect(tx.value).toBe(parseEther('0.5'));
    expect(tx.nonce).toBe(3);
    expect(tx.gasLimit).toBe(21_000n);
    expect(tx.maxFeePerGas).toBe(parseUnits('30', 'gwei'));
    expect(tx.maxPriorityFeePerGas).toBe(parseUnits('1', 'gwei'));
    expect(BigInt(tx.signature!.s) <= N / 2n).toBe(true);
    expect([0, 1]).toContain(tx.signature!.yParity);
  });

  it('signs the same bytes ethers would sign with the same key (deterministic RFC 6979 aside, same digest)', async () => {
    const { signer, account } = card;
    const unsigned = buildTransaction({ ...REQUEST, data: '0xdeadbeef', gasLimit: 50_000 }, MAINNET);
    const signed = await signTransaction(signer, account, unsigned.unsignedSerialized, MAINNET);
    const tx = Transaction.from(signed.raw);
    expect(tx.unsignedHash).toBe(unsigned.unsignedHash);
    expect(tx.data).toBe('0xdeadbeef');
    expect(tx.from).toBe(CARD_ADDRESS);
  });

  it('signs an imported EIP-155 legacy transaction (v = chainId * 2 + 35 + yParity)', async () => {
    const { signer, account } = card;
    const legacy = Transaction.from({ type: 0, chainId: 11155111n, to: BOB, value: 1n, nonce: 0, gasLimit: 21_000n, gasPrice: parseUnits('2', 'gwei') });
    const signed = await signTransaction(signer, account, legacy.unsignedSerialized, SEPOLIA);
    const tx = Transaction.from(signed.raw);
    expect(tx.type).toBe(0);
    expect(tx.chainId).toBe(11155111n);
    expect(tx.signature!.networkV).toBe(11155111n * 2n + 35n + BigInt(tx.signature!.yParity));
    expect(tx.from).toBe(CARD_ADDRESS);
  });

  it('signs an imported EIP-2930 JSON transaction with an access list', async () => {
    const { signer, account } = card;
    const json = JSON.stringify({
      type: '0x1',
      chainId: '0x7a69',
      from: CARD_ADDRESS.toLowerCase(),
      to: BOB,
      value: '0x0',
      input: '0x01',
      nonce: '0x0',
      gas: '0x9c40',
      gasPrice: '0x3b9aca00',
      accessList: [{ address: BOB, storageKeys: ['0x' + '00'.repeat(31) + '01'] }],
    });
    const signed = await signTransaction(signer, account, json, ANVIL);
    const tx = Transaction.from(signed.raw);
    expect(tx.type).toBe(1);
    expect(tx.accessList).toEqual([{ address: BOB, storageKeys: ['0x' + '00'.repeat(31) + '01'] }]);
    expect(tx.from).toBe(CARD_ADDRESS);
  });
});

describe('bad transactions give a typed error before the card is touched', () => {
  const wrongChecksum = BOB.replace('C8', 'c8');
  const badRequests: [string, Partial<Record<keyof EthTxRequest, unknown>>, string][] = [
    ['bad checksum', { to: wrongChecksum }, 'BAD_CHECKSUM'],
    ['not an address', { to: '0x1234' }, 'INVALID_ADDRESS'],
    ['ICAP', { to: 'XE7338O073KYGTWWZN0F2WZ0R8PX5ZPPZS' }, 'INVALID_ADDRESS'],
    ['no 0x', { to: BOB.slice(2) }, 'INVALID_ADDRESS'],
    ['zero value without calldata', { value: 0n }, 'ZERO_VALUE'],
    ['negative value', { value: -1n }, 'NEGATIVE_VALUE'],
    ['negative value as text', { value: '-0x1' }, 'NEGATIVE_VALUE'],
    ['value above uint256', { value: 1n << 256n }, 'VALUE_OVERFLOW'],
    ['value as a long decimal', { value: '9'.repeat(90) }, 'VALUE_OVERFLOW'],
    ['value as a fraction', { value: 0.5 }, 'INVALID_AMOUNT'],
    ['value as an unsafe number', { value: 2 ** 60 }, 'INVALID_AMOUNT'],
    ['value as words', { value: 'one ether' }, 'INVALID_AMOUNT'],
    ['chain id mismatch', { chainId: 1 }, 'CHAIN_ID_MISMATCH'],
    ['zero max fee', { maxFeePerGas: 0, maxPriorityFeePerGas: 0 }, 'ZERO_VALUE'],
    ['priority fee above max fee', { maxPriorityFeePerGas: parseUnits('31', 'gwei') }, 'INVALID_ARGUMENT'],
    ['max fee above uint256', { maxFeePerGas: 1n << 256n }, 'VALUE_OVERFLOW'],
    ['zero gas limit', { gasLimit: 0 }, 'ZERO_VALUE'],
    ['gas limit below 21000', { gasLimit: 20_999 }, 'INVALID_ARGUMENT'],
    ['gas limit below the calldata cost', { data: '0x' + 'ff'.repeat(100), gasLimit: 21_000 }, 'INVALID_ARGUMENT'],
    ['gas limit above uint64', { gasLimit: 1n << 64n }, 'VALUE_OVERFLOW'],
    ['negative nonce', { nonce: -1 }, 'NEGATIVE_VALUE'],
    ['nonce above 2^64 - 2', { nonce: (1n << 64n) - 1n }, 'VALUE_OVERFLOW'],
    ['calldata not hex', { data: '0xzz' }, 'INVALID_ARGUMENT'],
    ['calldata odd length', { data: '0xabc' }, 'INVALID_ARGUMENT'],
  ];
  it.each(badRequests)('%s', async (_name, change, code) => {
    const { signer, account, apdus } = card;
    const before = apdus();
    const error = await thrown(async () => signTransaction(signer, account, buildTransaction({ ...REQUEST, ...change } as EthTxRequest, ANVIL), ANVIL));
    expect(isEthError(error, code as never), String(error)).toBe(true);
    expect(apdus()).toBe(before);
  });

  it('accepts zero value with calldata (a token call) and all-lowercase / all-uppercase addresses', () => {
    expect(buildTransaction({ ...REQUEST, value: 0, data: '0xa9059cbb', gasLimit: 60_000 }, ANVIL).value).toBe(0n);
    expect(buildTransaction({ ...REQUEST, to: BOB.toLowerCase() }, ANVIL).to).toBe(BOB);
    expect(buildTransaction({ ...REQUEST, to: '0x' + BOB.slice(2).toUpperCase() }, ANVIL).to).toBe(BOB);
  });

  const other = new Wallet('0x' + '11'.repeat(32));
  const unsigned = buildTransaction(REQUEST, ANVIL);
  const badImports: [string, () => Promise<string> | string, string][] = [
    ['malformed hex', () => '0x02zz', 'MALFORMED_TRANSACTION'],
    ['odd hex', () => unsigned.unsignedSerialized.slice(0, -1), 'MALFORMED_TRANSACTION'],
    ['truncated RLP', () => unsigned.unsignedSerialized.slice(0, -2), 'MALFORMED_TRANSACTION'],
    ['trailing bytes', () => unsigned.unsignedSerialized + '00', 'MALFORMED_TRANSACTION'],
    ['empty', () => '', 'MALFORMED_TRANSACTION'],
    ['malformed JSON', () => '{"to": ', 'MALFORMED_TRANSACTION'],
    ['JSON array', () => '[1,2]', 'MALFORMED_TRANSACTION'],
    ['JSON with an unknown field', () => JSON.stringify({ ...jsonOf(unsigned), gasPremium: '0x1' }), 'MALFORMED_TRANSACTION'],
    ['JSON without nonce', () => JSON.stringify({ ...jsonOf(unsigned), nonce: undefined }), 'MALFORMED_TRANSACTION'],
    ['JSON with a bad checksum', () => JSON.stringify({ ...jsonOf(unsigned), to: wrongChecksum }), 'BAD_CHECKSUM'],
    ['JSON with gas and gasLimit disagreeing', () => JSON.stringify({ ...jsonOf(unsigned), gasLimit: '0x5209' }), 'MALFORMED_TRANSACTION'],
    ['JSON from another account', () => JSON.stringify({ ...jsonOf(unsigned), from: other.address }), 'INVALID_ARGUMENT'],
    ['already signed hex', () => other.signTransaction(unsigned), 'ALREADY_SIGNED'],
    ['already signed legacy hex', () => other.signTransaction({ type: 0, chainId: 31337n, to: BOB, value: 1n, nonce: 0, gasLimit: 21_000n, gasPrice: 1n }), 'ALREADY_SIGNED'],
    ['already signed JSON', () => JSON.stringify({ ...jsonOf(unsigned), r: '0x1', s: '0x1', yParity: '0x0' }), 'ALREADY_SIGNED'],
    ['legacy without chain id (hex)', () => Transaction.from({ type: 0, to: BOB, value: 1n, nonce: 0, gasLimit: 21_000n, gasPrice: 1n }).unsignedSerialized, 'UNSUPPORTED_TRANSACTION'],
    ['legacy without chain id (JSON)', () => JSON.stringify({ to: BOB, value: '0x1', nonce: '0x0', gas: '0x5208', gasPrice: '0x1' }), 'UNSUPPORTED_TRANSACTION'],
    ['blob transaction', () => '0x03c0', 'UNSUPPORTED_TRANSACTION'],
    ['set-code transaction', () => '0x04c0', 'UNSUPPORTED_TRANSACTION'],
    ['set-code JSON', () => JSON.stringify({ ...jsonOf(unsigned), authorizationList: [] }), 'UNSUPPORTED_TRANSACTION'],
    ['chain id mismatch (hex)', () => buildTransaction(REQUEST, SEPOLIA).unsignedSerialized, 'CHAIN_ID_MISMATCH'],
    ['chain id mismatch (JSON)', () => JSON.stringify({ ...jsonOf(unsigned), chainId: '0x1' }), 'CHAIN_ID_MISMATCH'],
    ['non-canonical hex (leading zero in nonce)', () => nonCanonical(unsigned), 'MALFORMED_TRANSACTION'],
  ];
  it.each(badImports)('%s', async (_name, input, code) => {
    const { signer, account, apdus } = card;
    const text = await input();
    const before = apdus();
    const error = await thrown(() => signTransaction(signer, account, text, ANVIL));
    expect(isEthError(error, code as never), String(error)).toBe(true);
    expect(apdus()).toBe(before);
    expect(() => parseUnsignedTransaction(text, ANVIL, { account })).toThrow(expect.objectContaining({ code }));
  });

  it('refuses a Transaction object that is already signed', async () => {
    const { signer, account, apdus } = card;
    const signed = Transaction.from(await other.signTransaction(unsigned));
    const before = apdus();
    expect(isEthError(await thrown(() => signTransaction(signer, account, signed, ANVIL)), 'ALREADY_SIGNED')).toBe(true);
    expect(apdus()).toBe(before);
  });
});

describe('a card signature that does not prove the card address is never returned', () => {
  async function tampered(change: (signature: Uint8Array, recoveryId: number) => { signature: Uint8Array; recoveryId: number; publicKey?: Uint8Array }) {
    const { signer, account } = card;
    const liar: CardSigner = {
      ...signer,
      async signDigest(path, digest) {
        const real = await signer.signDigest(path, digest);
        const changed = change(Uint8Array.from(real.signature), real.recoveryId);
        return { ...real, ...changed };
      },
    };
    return thrown(() => signTransaction(liar, account, buildTransaction(REQUEST, ANVIL), ANVIL));
  }

  it('wrong recovery id -> SIGNER_MISMATCH', async () => {
    expect(isEthError(await tampered((signature, id) => ({ signature, recoveryId: id ^ 1 })), 'SIGNER_MISMATCH')).toBe(true);
  });
  it('recovery id 2 or 3 -> BAD_SIGNATURE', async () => {
    expect(isEthError(await tampered((signature) => ({ signature, recoveryId: 2 })), 'BAD_SIGNATURE')).toBe(true);
  });
  it('high S -> BAD_SIGNATURE', async () => {
    const error = await tampered((signature, recoveryId) => {
      const s = N - BigInt(hexlify(signature.subarray(32)));
      signature.set(Buffer.from(s.toString(16).padStart(64, '0'), 'hex'), 32);
      return { signature, recoveryId: recoveryId ^ 1 };
    });
    expect(isEthError(error, 'BAD_SIGNATURE')).toBe(true);
  });
  it('63-byte signature -> BAD_SIGNATURE', async () => {
    expect(isEthError(await tampered((signature, recoveryId) => ({ signature: signature.subarray(1), recoveryId })), 'BAD_SIGNATURE')).toBe(true);
  });
  it('a valid signature by another key -> SIGNER_MISMATCH', async () => {
    const error = await tampered(() => {
      const wallet = new Wallet('0x' + '22'.repeat(32));
      const sig = Signature.from(wallet.signingKey.sign('0x' + '33'.repeat(32)));
      return { signature: Buffer.from(sig.r.slice(2) + sig.s.slice(2), 'hex'), recoveryId: sig.yParity, publicKey: Buffer.from(wallet.signingKey.compressedPublicKey.slice(2), 'hex') };
    });
    expect(isEthError(error, 'SIGNER_MISMATCH')).toBe(true);
  });
});

function jsonOf(tx: Transaction): Record<string, unknown> {
  return {
    type: '0x2',
    chainId: '0x' + tx.chainId.toString(16),
    to: tx.to,
    value: '0x' + tx.value.toString(16),
    data: tx.data,
    nonce: '0x' + tx.nonce.toString(16),
    gas: '0x' + tx.gasLimit.toString(16),
    maxFeePerGas: '0x' + tx.maxFeePerGas!.toString(16),
    maxPriorityFeePerGas: '0x' + tx.maxPriorityFeePerGas!.toString(16),
  };
}

/** The same transaction with its nonce (3) encoded as 0x8203 (two bytes, leading zero) instead of 0x03. */
function nonCanonical(tx: Transaction): string {
  // 0x02 || list header || chainId || nonce || ...: rebuild with the header adjusted.
  const bytes = Buffer.from(tx.unsignedSerialized.slice(4), 'hex');
  const headerLength = bytes[0]! >= 0xf8 ? 2 + (bytes[0]! - 0xf8) : 1;
  const body = bytes.subarray(headerLength);
  const chainIdLength = body[0]! < 0x80 ? 1 : 1 + (body[0]! - 0x80);
  const rest = Buffer.concat([body.subarray(0, chainIdLength), Buffer.from([0x82, 0x00, 0x03]), body.subarray(chainIdLength + 1)]);
  const header = rest.length < 56 ? Buffer.from([0xc0 + rest.length]) : Buffer.from([0xf8, rest.length]);
  return '0x02' + Buffer.concat([header, rest]).toString('hex');
}
