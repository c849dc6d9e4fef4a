/**
 * Property tests: whatever text arrives as "an unsigned transaction", "typed data", "a message" or a
 * send request, the ETH layer answers with a result or an EthError (never a TypeError, RangeError or a
 * raw ethers error), and signing either returns a transaction whose recovered sender is the card or
 * refuses it without sending the card a single APDU. Inputs: random hex, random typed-envelope RLP,
 * byte mutations of valid transactions, random JSON and JSON built from the real field names.
 */
import fc from 'fast-check';
import { Transaction, encodeRlp, hexlify } from 'ethers';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EthAccount } from './account.ts';
import type { CardSigner } from '../signer.ts';
import { describePersonalMessage, describeTransaction, describeTypedData } from './decode.ts';
import { isEthError } from './errors.ts';
import { parseUnsignedTransaction } from './import.ts';
import { signPersonalMessage } from './messages.ts';
import { customNetwork } from './networks.ts';
import { CARD_ADDRESS, ethTestCard } from './test-support/card.ts';
import { MAIL } from './test-support/eip712-mail.ts';
import { buildTransaction, signTransaction } from './transaction.ts';

const ANVIL = customNetwork(31337, 'Anvil (local)');
const BOB = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const VALID = [
  buildTransaction({ to: BOB, value: 10n ** 18n, nonce: 1, gasLimit: 21_000, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 10n ** 9n }, ANVIL).unsignedSerialized,
  buildTransaction({ to: BOB, value: 0, data: '0xa9059cbb' + '00'.repeat(64), nonce: 2, gasLimit: 60_000, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 1n }, ANVIL)
    .unsignedSerialized,
  Transaction.from({ type: 0, chainId: 31337n, to: BOB, value: 5n, nonce: 0, gasLimit: 21_000n, gasPrice: 10n ** 9n }).unsignedSerialized,
  Transaction.from({ type: 1, chainId: 31337n, to: BOB, value: 5n, nonce: 0, gasLimit: 30_000n, gasPrice: 10n ** 9n, accessList: [{ address: BOB, storageKeys: [] }] })
    .unsignedSerialized,
];

const hex = (bytes: Uint8Array) => hexlify(bytes);

/** Random nested RLP (byte strings and lists) behind a random or real type byte. */
const rlpItem = fc.letrec<{ item: unknown }>((tie) => ({
  item: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.uint8Array({ maxLength: 40 }).map(hex),
    fc.constantFrom('0x', '0x00', '0x7a69', '0x01', '0x5208', BOB.toLowerCase()),
    fc.array(tie('item'), { maxLength: 14 }),
  ),
})).item;
const rlpTransaction = fc
  .tuple(fc.constantFrom<number | null>(null, 0, 1, 2, 3, 4, 5, 0x7f), fc.array(rlpItem, { maxLength: 14 }))
  .map(([type, fields]) => {
    const body = encodeRlp(fields as never);
    return type === null ? body : '0x' + type.toString(16).padStart(2, '0') + body.slice(2);
  });

/** A valid transaction with bytes flipped, cut, or inserted. */
const mutatedTransaction = fc
  .tuple(fc.constantFrom(...VALID), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'cut', 'insert')), { minLength: 1, maxLength: 4 }))
  .map(([valid, edits]) => {
    const bytes = Array.from(Buffer.from(valid.slice(2), 'hex'));
    for (const [at, byte, kind] of edits) {
      const i = bytes.length ? at % bytes.length : 0;
      if (kind === 'flip') bytes[i] = byte;
      else if (kind === 'cut') bytes.splice(i);
      else bytes.splice(i, 0, byte);
    }
    return '0x' + Buffer.from(bytes).toString('hex');
  });

const quantityLike = fc.oneof(
  fc.bigInt({ min: -(1n << 300n), max: 1n << 300n }).map((n) => (n < 0n ? '-0x' + (-n).toString(16) : '0x' + n.toString(16))),
  fc.bigInt({ min: -(1n << 300n), max: 1n << 300n }).map(String),
  fc.integer(),
  fc.double(),
  fc.constantFrom('', '0x', '1e18', '0x-1', ' 1', null, true, [], {}),
  fc.string({ maxLength: 12 }),
);
const addressLike = fc.oneof(
  fc.constantFrom(BOB, BOB.toLowerCase(), BOB.replace('C8', 'c8'), CARD_ADDRESS, '0x' + '00'.repeat(20), BOB.slice(2), BOB + '00'),
  fc.uint8Array({ minLength: 19, maxLength: 21 }).map(hex),
  fc.string({ maxLength: 44 }),
);
const FIELDS = ['type', 'chainId', 'from', 'to', 'value', 'data', 'input', 'nonce', 'gas', 'gasLimit', 'gasPrice', 'maxFeePerGas', 'maxPriorityFeePerGas', 'accessList', 'r', 'authorizationList', 'blob'];
const jsonTransaction = fc.oneof(
  fc.json({ maxDepth: 3 }),
  fc
    .dictionary(
      fc.constantFrom(...FIELDS),
      fc.oneof(quantityLike, addressLike, fc.uint8Array({ maxLength: 80 }).map(hex), fc.constantFrom(31337, '0x7a69', 2, '0x2', 21_000), fc.array(fc.record({ address: addressLike, storageKeys: fc.array(fc.uint8Array({ minLength: 31, maxLength: 33 }).map(hex), { maxLength: 2 }) }), { maxLength: 2 })),
    )
    .map((o) => JSON.stringify(o)),
);
const anyTransactionText = fc.oneof(fc.uint8Array({ maxLength: 200 }).map(hex), rlpTransaction, mutatedTransaction, jsonTransaction, fc.string({ maxLength: 100 }));

function onlyEthErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    if (!isEthError(error)) throw error;
  }
}

describe('random input gives a result or an EthError, nothing else', () => {
  let card: { signer: CardSigner; account: EthAccount; apdus: () => number };
  beforeAll(async () => {
    card = await ethTestCard();
  });

  it('parseUnsignedTransaction and describeTransaction', () => {
    fc.assert(
      fc.property(anyTransactionText, (text) => {
        onlyEthErrors(() => parseUnsignedTransaction(text, ANVIL));
        onlyEthErrors(() => JSON.stringify(describeTransaction(text, ANVIL)));
      }),
      { numRuns: 3000 },
    );
  });

  it('signTransaction: a card-signed transaction, or an EthError before any APDU', { timeout: 120_000 }, async () => {
    let signed = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.constantFrom(...VALID), mutatedTransaction, rlpTransaction, jsonTransaction), async (text) => {
        const before = card.apdus();
        try {
          const result = await signTransaction(card.signer, card.account, text, ANVIL);
          expect(Transaction.from(result.raw).from).toBe(CARD_ADDRESS);
          signed++;
        } catch (error) {
          if (!isEthError(error)) throw error;
          expect(card.apdus()).toBe(before);
        }
      }),
      { numRuns: 200 },
    );
    expect(signed).toBeGreaterThan(0);
  });

  it('buildTransaction with random field values', () => {
    fc.assert(
      fc.property(
        fc.record({ to: addressLike, value: quantityLike, data: fc.oneof(fc.constant(undefined), fc.uint8Array({ maxLength: 40 }).map(hex), fc.string()), nonce: quantityLike, gasLimit: quantityLike, maxFeePerGas: quantityLike, maxPriorityFeePerGas: quantityLike, chainId: fc.oneof(fc.constant(undefined), quantityLike) }),
        (request) => onlyEthErrors(() => buildTransaction(request as never, ANVIL)),
      ),
      { numRuns: 3000 },
    );
  });

  it('typed data: random JSON and mutations of the Mail example', () => {
    const mutatedMail = fc.tuple(fc.constantFrom('types', 'domain', 'message', 'primaryType'), fc.jsonValue({ maxDepth: 3 })).map(([key, value]) => ({ ...MAIL, [key]: value }));
    const mutatedLeaf = fc.tuple(fc.constantFrom('from', 'to'), fc.constantFrom('name', 'wallet', 'extra'), fc.jsonValue({ maxDepth: 2 })).map(([who, field, value]) => ({
      ...MAIL,
      message: { ...MAIL.message, [who]: { ...MAIL.message[who as 'from'], [field]: value } },
    }));
    fc.assert(
      fc.property(fc.oneof(fc.json({ maxDepth: 4 }), fc.jsonValue({ maxDepth: 4 }), mutatedMail, mutatedLeaf), (input) => {
        onlyEthErrors(() => JSON.stringify(describeTypedData(input, { ...ANVIL, chainId: 1 })));
      }),
      { numRuns: 3000 },
    );
  });

  it('personal messages: random text and bytes are described, bad shapes refused before the card', async () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 60 }).map((text) => ({ text })), fc.uint8Array({ maxLength: 60 }).map((b) => ({ hex: hex(b) })), fc.jsonValue({ maxDepth: 2 })), (message) => {
        onlyEthErrors(() => JSON.stringify(describePersonalMessage(message as never)));
      }),
      { numRuns: 2000 },
    );
    const before = card.apdus();
    for (const message of [null, 5, 'text', { text: 5 }, { hex: 'zz' }, { text: '' }]) {
      await expect(signPersonalMessage(card.signer, card.account, message as never)).rejects.toSatisfy(isEthError);
    }
    expect(card.apdus()).toBe(before);
  });
});
