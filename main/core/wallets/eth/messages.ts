/**
 * Message signatures with the card: personal_sign (EIP-191, ethers hashMessage) and EIP-712 typed
 * data (the digest from typed-data.ts). Returned as 65 bytes r || s || v, v = 27 / 28, and only after
 * ethers.verifyMessage / verifyTypedData recover the card's address from them.
 */
import { getBytes, hashMessage, toUtf8Bytes, verifyMessage, verifyTypedData } from 'ethers';
import type { CardSigner } from '../signer.ts';
import { type EthAccount, checkAccount } from './account.ts';
import { EthError, wrapEthers } from './errors.ts';
import type { EthNetwork } from './networks.ts';
import { checkSigner, ethSignature, rsv } from './signature.ts';
import { type ParsedTypedData, type TypedDataField, parseTypedData } from './typed-data.ts';

export const MAX_MESSAGE_BYTES = 64 * 1024;

/**
 * What to sign with personal_sign: text (signed as its UTF-8 bytes) or bytes given as hex (what the
 * JSON-RPC personal_sign parameter carries). Explicit, so a text that happens to look like hex is
 * never signed as bytes.
 */
export type PersonalMessage = { readonly text: string } | { readonly hex: string } | Uint8Array;

export function personalMessageBytes(message: PersonalMessage): Uint8Array {
  let bytes: Uint8Array;
  const given = message as { text?: unknown; hex?: unknown } | null;
  if (message instanceof Uint8Array) bytes = message;
  else if (typeof given === 'object' && given !== null && typeof given.text === 'string' && given.hex === undefined) {
    const text = given.text;
    bytes = wrapEthers('INVALID_MESSAGE', 'the text is not valid Unicode (lone surrogate)', { field: 'text' }, () => toUtf8Bytes(text));
  }
  else if (typeof given === 'object' && given !== null && typeof given.hex === 'string' && given.text === undefined) {
    if (!/^0x(?:[0-9a-fA-F]{2})*$/.test(given.hex)) throw new EthError('INVALID_MESSAGE', 'a hex message is 0x followed by an even number of hex digits', { field: 'hex' });
    bytes = getBytes(given.hex);
  } else {
    throw new EthError('INVALID_MESSAGE', 'a message is { text } or { hex }');
  }
  if (bytes.length === 0) throw new EthError('INVALID_MESSAGE', 'the message is empty');
  if (bytes.length > MAX_MESSAGE_BYTES) throw new EthError('INVALID_MESSAGE', `a message is at most ${MAX_MESSAGE_BYTES} bytes`, { actual: bytes.length });
  return bytes;
}

export interface EthMessageSignature {
  /** 65 bytes r || s || v (v = 27 or 28), 0x-hex. */
  readonly signature: string;
  /** The digest the card signed. */
  readonly digest: string;
  /** The card address, recovered from the signature. */
  readonly address: string;
}

/** personal_sign: the card signs hashMessage(bytes) = keccak256("\x19Ethereum Signed Message:\n" + length + bytes). */
export async function signPersonalMessage(signer: CardSigner, account: EthAccount, message: PersonalMessage): Promise<EthMessageSignature> {
  checkAccount(account);
  const bytes = personalMessageBytes(message);
  const digest = hashMessage(bytes);
  const signature = rsv(ethSignature(await signer.signDigest(account.path, getBytes(digest)), account));
  let recovered: string | null = null;
  try {
    recovered = verifyMessage(bytes, signature);
  } catch {
    recovered = null;
  }
  checkSigner(recovered, account);
  return { signature, digest, address: account.address };
}

/** eth_signTypedData_v4: the card signs the EIP-712 digest of the (strictly read) typed data. */
export async function signTypedData(signer: CardSigner, account: EthAccount, typedData: unknown, network: EthNetwork): Promise<EthMessageSignature & { readonly typedData: ParsedTypedData }> {
  checkAccount(account);
  const parsed = parseTypedData(typedData, network);
  const signature = rsv(ethSignature(await signer.signDigest(account.path, getBytes(parsed.digest)), account));
  let recovered: string | null = null;
  try {
    recovered = verifyTypedData(parsed.domain, parsed.types as Record<string, TypedDataField[]>, parsed.message, signature);
  } catch {
    recovered = null;
  }
  checkSigner(recovered, account);
  return { signature, digest: parsed.digest, address: account.address, typedData: parsed };
}
