import { TypedDataEncoder, Wallet, hashMessage, keccak256, toUtf8Bytes, verifyMessage, verifyTypedData } from 'ethers';
import { beforeAll, describe, expect, it } from 'vitest';
import { isEthError } from './errors.ts';
import { signPersonalMessage, signTypedData } from './messages.ts';
import { MAINNET, SEPOLIA } from './networks.ts';
import { CARD_ADDRESS, ethTestCard, thrown } from './test-support/card.ts';
import { parseTypedData } from './typed-data.ts';
import { MAIL, MAIL_HASHES } from './test-support/eip712-mail.ts';

const { EIP712Domain: _domainType, ...MAIL_TYPES } = MAIL.types;

/** One emulated card for the file: every test reads the APDU counter around its own calls. */
let card: Awaited<ReturnType<typeof ethTestCard>>;
beforeAll(async () => {
  card = await ethTestCard();
});

describe('personal_sign with the card', () => {
  it('signs text: 65 bytes, v 27/28, ethers.verifyMessage gives the card address', async () => {
    const { signer, account } = card;
    const signed = await signPersonalMessage(signer, account, { text: 'Log in to Tapdesk: nonce 42' });
    expect(signed.signature).toMatch(/^0x[0-9a-f]{130}$/);
    expect([27, 28]).toContain(parseInt(signed.signature.slice(-2), 16));
    expect(signed.digest).toBe(hashMessage('Log in to Tapdesk: nonce 42'));
    expect(verifyMessage('Log in to Tapdesk: nonce 42', signed.signature)).toBe(CARD_ADDRESS);
    expect(signed.address).toBe(CARD_ADDRESS);
  });

  it('signs bytes given as hex exactly (not their text)', async () => {
    const { signer, account } = card;
    const bytes = Uint8Array.from([0xff, 0x00, 0x10]);
    const signed = await signPersonalMessage(signer, account, { hex: '0xff0010' });
    expect(verifyMessage(bytes, signed.signature)).toBe(CARD_ADDRESS);
    const asText = await signPersonalMessage(signer, account, { text: '0xff0010' });
    expect(verifyMessage('0xff0010', asText.signature)).toBe(CARD_ADDRESS);
    expect(asText.digest).not.toBe(signed.digest);
  });

  it.each([
    ['empty text', { text: '' }],
    ['empty hex', { hex: '0x' }],
    ['bad hex', { hex: '0xabc' }],
    ['both', { text: 'a', hex: '0x61' }],
    ['neither', {}],
    ['lone surrogate', { text: 'a\ud800' }],
    ['too large', { text: 'x'.repeat(64 * 1024 + 1) }],
  ])('refuses %s before the card', async (_name, message) => {
    const { signer, account, apdus } = card;
    const before = apdus();
    expect(isEthError(await thrown(() => signPersonalMessage(signer, account, message as never)), 'INVALID_MESSAGE')).toBe(true);
    expect(apdus()).toBe(before);
  });
});

describe('EIP-712 typed data', () => {
  it('gives the EIP-712 Mail example hashes', () => {
    const parsed = parseTypedData(MAIL, MAINNET);
    expect({ domainSeparator: parsed.domainSeparator, messageHash: parsed.messageHash, digest: parsed.digest }).toEqual(MAIL_HASHES);
    expect(parsed.digest).toBe(TypedDataEncoder.hash(MAIL.domain, MAIL_TYPES, MAIL.message));
    expect(parsed.leaves).toEqual([
      { path: 'from.name', type: 'string', value: 'Cow' },
      { path: 'from.wallet', type: 'address', value: '0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826' },
      { path: 'to.name', type: 'string', value: 'Bob' },
      { path: 'to.wallet', type: 'address', value: '0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB' },
      { path: 'contents', type: 'string', value: 'Hello, Bob!' },
    ]);
    expect(parsed.domainLeaves.map((leaf) => leaf.path)).toEqual(['name', 'version', 'chainId', 'verifyingContract']);
  });

  it('the spec signature of "cow" verifies against our digest', () => {
    const cow = new Wallet(keccak256(toUtf8Bytes('cow')));
    const signature = cow.signingKey.sign(MAIL_HASHES.digest);
    expect(signature.v).toBe(28);
    expect(signature.r).toBe('0x4355c47d63924e8a72e509b65029052eb6c299d53a04e167c5775fd466751c9d');
    expect(signature.s).toBe('0x07299936d304c153f6443dfa05f40ff007d72911b6f72307f996231605b91562');
  });

  it('signs Mail with the card (JSON text or object): ethers.verifyTypedData gives the card address', async () => {
    const { signer, account } = card;
    for (const input of [MAIL, JSON.stringify(MAIL)]) {
      const signed = await signTypedData(signer, account, input, MAINNET);
      expect(signed.digest).toBe(MAIL_HASHES.digest);
      expect(signed.signature).toMatch(/^0x[0-9a-f]{128}(1b|1c)$/);
      expect(verifyTypedData(MAIL.domain, MAIL_TYPES, MAIL.message, signed.signature)).toBe(CARD_ADDRESS);
    }
  });

  it('reads arrays, integers, bytes and bools, normalised', () => {
    const parsed = parseTypedData(
      {
        types: {
          Order: [
            { name: 'amounts', type: 'uint256[]' },
            { name: 'delta', type: 'int8' },
            { name: 'salt', type: 'bytes32' },
            { name: 'blob', type: 'bytes' },
            { name: 'ok', type: 'bool' },
            { name: 'pair', type: 'address[2]' },
            { name: 'none', type: 'string[]' },
          ],
        },
        primaryType: 'Order',
        domain: { chainId: '0xaa36a7' },
        message: {
          amounts: ['0x10', 5, '1000000000000000000000'],
          delta: '-128',
          salt: '0x' + 'AB'.repeat(32),
          blob: '0x',
          ok: false,
          pair: [CARD_ADDRESS.toLowerCase(), CARD_ADDRESS],
          none: [],
        },
      },
      SEPOLIA,
    );
    expect(parsed.message).toEqual({
      amounts: ['16', '5', '1000000000000000000000'],
      delta: '-128',
      salt: '0x' + 'ab'.repeat(32),
      blob: '0x',
      ok: false,
      pair: [CARD_ADDRESS, CARD_ADDRESS],
      none: [],
    });
    expect(parsed.leaves.map((leaf) => `${leaf.path}:${leaf.type}=${leaf.value}`)).toEqual([
      'amounts[0]:uint256=16',
      'amounts[1]:uint256=5',
      'amounts[2]:uint256=1000000000000000000000',
      'delta:int8=-128',
      `salt:bytes32=0x${'ab'.repeat(32)}`,
      'blob:bytes=0x',
      'ok:bool=false',
      `pair[0]:address=${CARD_ADDRESS}`,
      `pair[1]:address=${CARD_ADDRESS}`,
      'none:string[]=[]',
    ]);
    expect(parsed.domain).toEqual({ chainId: 11155111 });
  });

  const change = (f: (mail: typeof MAIL & Record<string, unknown>) => void) => {
    const mail = structuredClone(MAIL) as typeof MAIL & Record<string, unknown>;
    f(mail);
    return mail;
  };
  const bad: [string, unknown, string][] = [
    ['not JSON', '{"types"', 'INVALID_TYPED_DATA'],
    ['an array', '[]', 'INVALID_TYPED_DATA'],
    ['extra top-level key', change((m) => (m.extra = 1)), 'INVALID_TYPED_DATA'],
    ['domain chain id mismatch', change((m) => (m.domain.chainId = 5)), 'CHAIN_ID_MISMATCH'],
    ['unknown domain field', change((m) => ((m.domain as Record<string, unknown>).owner = 'x')), 'INVALID_TYPED_DATA'],
    ['EIP712Domain type not matching the domain', change((m) => m.types.EIP712Domain.pop()), 'INVALID_TYPED_DATA'],
    ['EIP712Domain in another order', change((m) => m.types.EIP712Domain.reverse()), 'INVALID_TYPED_DATA'],
    ['primary type missing', change((m) => (m.primaryType = 'Letter')), 'INVALID_TYPED_DATA'],
    ['primary type EIP712Domain', change((m) => (m.primaryType = 'EIP712Domain')), 'INVALID_TYPED_DATA'],
    ['missing message field', change((m) => delete (m.message as Record<string, unknown>).contents), 'INVALID_TYPED_DATA'],
    ['extra message field (shown but not signed)', change((m) => ((m.message as Record<string, unknown>).amount = '1')), 'INVALID_TYPED_DATA'],
    ['bad checksum in the message', change((m) => (m.message.to.wallet = '0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbb')), 'BAD_CHECKSUM'],
    ['a number where a string is typed', change((m) => ((m.message as Record<string, unknown>).contents = 5)), 'INVALID_TYPED_DATA'],
    ['unknown member type', change((m) => (m.types.Mail[2]!.type = 'text')), 'INVALID_TYPED_DATA'],
    ['duplicate member', change((m) => m.types.Person.push({ name: 'name', type: 'string' })), 'INVALID_TYPED_DATA'],
    ['circular types', change((m) => m.types.Person.push({ name: 'friend', type: 'Mail' })), 'INVALID_TYPED_DATA'],
    ['__proto__ as a type', '{"types":{"__proto__":[]},"primaryType":"__proto__","domain":{},"message":{}}', 'INVALID_TYPED_DATA'],
  ];
  it.each(bad)('refuses %s before the card', async (_name, input, code) => {
    const { signer, account, apdus } = card;
    const before = apdus();
    const error = await thrown(() => signTypedData(signer, account, input, MAINNET));
    expect(isEthError(error, code as never), String(error)).toBe(true);
    expect(apdus()).toBe(before);
  });

  it.each([
    ['uint8 300', 'uint8', 300, 'VALUE_OVERFLOW'],
    ['uint256 negative', 'uint256', '-1', 'NEGATIVE_VALUE'],
    ['int8 -129', 'int8', -129, 'VALUE_OVERFLOW'],
    ['uint as fraction', 'uint256', 1.5, 'INVALID_AMOUNT'],
    ['bool as a string', 'bool', 'false', 'INVALID_TYPED_DATA'],
    ['bytes4 of 5 bytes', 'bytes4', '0x0102030405', 'INVALID_TYPED_DATA'],
    ['bytes not hex', 'bytes', 'hello', 'INVALID_TYPED_DATA'],
    ['fixed array of the wrong length', 'uint8[2]', [1], 'INVALID_TYPED_DATA'],
    ['bare uint', 'uint', 1, 'INVALID_TYPED_DATA'],
  ])('refuses a value that does not fit its type: %s', (_name, type, value, code) => {
    const input = { types: { T: [{ name: 'v', type }] }, primaryType: 'T', domain: { name: 'x' }, message: { v: value } };
    expect(() => parseTypedData(input, MAINNET)).toThrow(expect.objectContaining({ code }));
  });
});

describe('a message signature that does not prove the card address is never returned', () => {
  it('wrong recovery id -> SIGNER_MISMATCH, for personal_sign and EIP-712', async () => {
    const liar = {
      ...card.signer,
      signDigest: async (path: string, digest: Uint8Array) => {
        const real = await card.signer.signDigest(path, digest);
        return { ...real, recoveryId: real.recoveryId ^ 1 };
      },
    };
    expect(isEthError(await thrown(() => signPersonalMessage(liar, card.account, { text: 'hello' })), 'SIGNER_MISMATCH')).toBe(true);
    expect(isEthError(await thrown(() => signTypedData(liar, card.account, MAIL, MAINNET)), 'SIGNER_MISMATCH')).toBe(true);
  });
});
