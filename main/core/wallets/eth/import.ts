/**
 * "Sign this unsigned transaction": read one given as hex (the unsigned serialization: EIP-1559,
 * EIP-2930, or EIP-155 legacy with chain id, 0, 0) or as JSON (eth_signTransaction-style fields),
 * exactly, or refuse it with an EthError. Hex must be the canonical encoding (re-serialising gives
 * the same bytes), so what is shown is what is signed. Already-signed, blob, set-code and
 * chain-id-less legacy transactions are refused; the chain id must be the network's.
 */
import { Transaction, decodeRlp, getBytes } from 'ethers';
import type { EthAccount } from './account.ts';
import { EthError, wrapEthers } from './errors.ts';
import { MAX_DATA_BYTES, MAX_UINT256, MAX_UINT64, parseAddress, parseHexData, parseQuantity } from './fields.ts';
import type { EthNetwork } from './networks.ts';
import { checkTransaction } from './validate.ts';

const MAX_INPUT_CHARS = 2 * MAX_DATA_BYTES + 64 * 1024;
const MAX_ACCESS_LIST = 1024;

export interface ImportOptions {
  /** When the JSON names a `from`, it must be this account. */
  readonly account?: EthAccount;
}

export function parseUnsignedTransaction(input: unknown, network: EthNetwork, options: ImportOptions = {}): Transaction {
  if (typeof input !== 'string') throw new EthError('MALFORMED_TRANSACTION', 'a transaction is given as hex or JSON text');
  if (input.length > MAX_INPUT_CHARS) throw new EthError('MALFORMED_TRANSACTION', 'the transaction text is too large', { actual: input.length });
  const text = input.trim();
  const tx = text.startsWith('{') ? fromJson(text, options) : fromHex(text);
  checkTransaction(tx, network);
  return tx;
}

// ---- hex ----

/** RLP field counts of the signed forms, by type. */
const SIGNED_FIELDS: Record<number, number> = { 0: 9, 1: 11, 2: 12 };

function fromHex(hex: string): Transaction {
  if (!/^0x(?:[0-9a-fA-F]{2})+$/.test(hex)) {
    throw new EthError('MALFORMED_TRANSACTION', 'a transaction is 0x followed by an even number of hex digits, or JSON');
  }
  const bytes = getBytes(hex);
  const first = bytes[0]!;
  let type: number;
  let body: Uint8Array;
  if (first >= 0xc0) {
    type = 0;
    body = bytes;
  } else if (first <= 0x7f) {
    type = first;
    body = bytes.subarray(1);
  } else {
    throw new EthError('MALFORMED_TRANSACTION', 'the transaction is neither a typed envelope nor an RLP list');
  }
  if (type > 2) {
    throw new EthError('UNSUPPORTED_TRANSACTION', type === 3 ? 'blob (EIP-4844) transactions are not signed here' : type === 4 ? 'set-code (EIP-7702) transactions are not signed here' : `transaction type ${type} is not signed here`, { txType: type });
  }
  if (type === 0 && first < 0xc0) throw new EthError('MALFORMED_TRANSACTION', 'there is no typed envelope 0x00');
  const fields = wrapEthers('MALFORMED_TRANSACTION', 'the transaction is not valid RLP', { txType: type }, () => decodeRlp(body));
  if (!Array.isArray(fields)) throw new EthError('MALFORMED_TRANSACTION', 'the transaction is not an RLP list', { txType: type });
  if (fields.length === SIGNED_FIELDS[type] && !(type === 0 && isZero(fields[7]) && isZero(fields[8]))) {
    throw new EthError('ALREADY_SIGNED', 'the transaction is already signed', { txType: type });
  }
  const tx = wrapEthers('MALFORMED_TRANSACTION', 'the transaction does not parse', { txType: type }, () => Transaction.from(hex));
  if (tx.signature) throw new EthError('ALREADY_SIGNED', 'the transaction is already signed', { txType: type });
  if (tx.unsignedSerialized.toLowerCase() !== hex.toLowerCase()) {
    throw new EthError('MALFORMED_TRANSACTION', 'the transaction is not canonically encoded (it would not be signed as given)', { txType: type });
  }
  return tx;
}

function isZero(field: unknown): boolean {
  return typeof field === 'string' && /^0x0*$/.test(field);
}

// ---- JSON ----

const SIGNATURE_KEYS = ['r', 's', 'v', 'yParity', 'signature', 'hash'];
const UNSUPPORTED_KEYS = ['maxFeePerBlobGas', 'blobVersionedHashes', 'blobs', 'kzg', 'authorizationList'];
const KNOWN_KEYS = new Set([
  'type',
  'chainId',
  'from',
  'to',
  'value',
  'data',
  'input',
  'nonce',
  'gas',
  'gasLimit',
  'gasPrice',
  'maxFeePerGas',
  'maxPriorityFeePerGas',
  'accessList',
]);

function fromJson(text: string, options: ImportOptions): Transaction {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new EthError('MALFORMED_TRANSACTION', 'the transaction JSON does not parse');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new EthError('MALFORMED_TRANSACTION', 'the transaction JSON is not an object');
  }
  // Absent and null are the same (JSON-RPC writes null for "none").
  const json = Object.fromEntries(Object.entries(parsed).filter(([, value]) => value !== null)) as Record<string, unknown>;
  for (const key of SIGNATURE_KEYS) if (key in json) throw new EthError('ALREADY_SIGNED', 'the transaction JSON carries a signature', { field: key });
  for (const key of UNSUPPORTED_KEYS) if (key in json) throw new EthError('UNSUPPORTED_TRANSACTION', `"${key}" (blob or set-code transactions) is not signed here`, { field: key });
  for (const key of Object.keys(json)) if (!KNOWN_KEYS.has(key)) throw new EthError('MALFORMED_TRANSACTION', 'unknown transaction field', { field: key.slice(0, 40) });

  const type = jsonType(json);
  if (type !== 0 && type !== 1 && type !== 2) {
    throw new EthError('UNSUPPORTED_TRANSACTION', `transaction type ${type} is not signed here`, { txType: type });
  }
  if (json.chainId === undefined) {
    if (type === 0) throw new EthError('UNSUPPORTED_TRANSACTION', 'a legacy transaction without a chain id (pre EIP-155) can be replayed on any chain', { txType: 0 });
    throw new EthError('MALFORMED_TRANSACTION', 'the transaction has no chain id', { field: 'chainId' });
  }
  const chainId = parseQuantity(json.chainId, { field: 'chainId', max: MAX_UINT256 });
  if (json.from !== undefined) {
    const from = parseAddress(json.from, 'from');
    if (options.account && from !== options.account.address) {
      throw new EthError('INVALID_ARGUMENT', 'the transaction is from another account than the card', { field: 'from', expected: options.account.address, actual: from });
    }
  }
  const to = json.to === undefined ? null : parseAddress(json.to, 'to');
  const data = oneOf(json, 'data', 'input', (value, field) => parseHexData(value, field)) ?? '0x';
  const value = json.value === undefined ? 0n : parseQuantity(json.value, { field: 'value', max: MAX_UINT256 });
  const nonce = parseQuantity(required(json, 'nonce'), { field: 'nonce', max: BigInt(Number.MAX_SAFE_INTEGER) });
  const gasLimit = oneOf(json, 'gas', 'gasLimit', (v, field) => parseQuantity(v, { field, max: MAX_UINT64, positive: true }));
  if (gasLimit === undefined) throw new EthError('MALFORMED_TRANSACTION', 'the transaction has no gas limit', { field: 'gas' });
  const fees =
    type === 2
      ? {
          maxFeePerGas: parseQuantity(required(json, 'maxFeePerGas'), { field: 'maxFeePerGas', max: MAX_UINT256, positive: true }),
          maxPriorityFeePerGas: parseQuantity(required(json, 'maxPriorityFeePerGas'), { field: 'maxPriorityFeePerGas', max: MAX_UINT256 }),
        }
      : { gasPrice: parseQuantity(required(json, 'gasPrice'), { field: 'gasPrice', max: MAX_UINT256, positive: true }) };
  if (type === 2 && json.gasPrice !== undefined) throw new EthError('MALFORMED_TRANSACTION', 'an EIP-1559 transaction has no gasPrice', { field: 'gasPrice' });
  if (type !== 2 && (json.maxFeePerGas !== undefined || json.maxPriorityFeePerGas !== undefined)) {
    throw new EthError('MALFORMED_TRANSACTION', 'only EIP-1559 transactions have maxFeePerGas / maxPriorityFeePerGas', { field: 'maxFeePerGas', txType: type });
  }
  if (type === 0 && json.accessList !== undefined) throw new EthError('MALFORMED_TRANSACTION', 'a legacy transaction has no access list', { field: 'accessList' });
  const accessList = type === 0 ? undefined : parseAccessList(json.accessList);

  return wrapEthers('MALFORMED_TRANSACTION', 'the transaction does not build', { txType: type }, () =>
    Transaction.from({ type, chainId, to, value, data, nonce: Number(nonce), gasLimit, ...fees, ...(accessList ? { accessList } : {}) }),
  );
}

function jsonType(json: Record<string, unknown>): number {
  if (json.type !== undefined) return Number(parseQuantity(json.type, { field: 'type', max: 0xffn }));
  const eip1559 = json.maxFeePerGas !== undefined || json.maxPriorityFeePerGas !== undefined;
  if (eip1559 && json.gasPrice !== undefined) {
    throw new EthError('MALFORMED_TRANSACTION', 'a transaction has either gasPrice or maxFeePerGas, not both', { field: 'gasPrice' });
  }
  if (eip1559) return 2;
  if (json.gasPrice !== undefined) return json.accessList !== undefined ? 1 : 0;
  throw new EthError('MALFORMED_TRANSACTION', 'the transaction has no fee fields (maxFeePerGas or gasPrice)', { field: 'maxFeePerGas' });
}

function required(json: Record<string, unknown>, key: string): unknown {
  if (json[key] === undefined) throw new EthError('MALFORMED_TRANSACTION', `the transaction has no ${key}`, { field: key });
  return json[key];
}

/** A field with two accepted names (gas / gasLimit, data / input): when both are given they must agree. */
function oneOf<T>(json: Record<string, unknown>, a: string, b: string, parse: (value: unknown, field: string) => T): T | undefined {
  const first = json[a] === undefined ? undefined : parse(json[a], a);
  const second = json[b] === undefined ? undefined : parse(json[b], b);
  if (first !== undefined && second !== undefined && first !== second) {
    throw new EthError('MALFORMED_TRANSACTION', `"${a}" and "${b}" disagree`, { field: b });
  }
  return first ?? second;
}

function parseAccessList(value: unknown): { address: string; storageKeys: string[] }[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > MAX_ACCESS_LIST) {
    throw new EthError('MALFORMED_TRANSACTION', `an access list is an array of at most ${MAX_ACCESS_LIST} entries`, { field: 'accessList' });
  }
  return value.map((entry: unknown, i) => {
    const field = `accessList[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new EthError('MALFORMED_TRANSACTION', 'an access list entry is an object', { field });
    const { address, storageKeys, ...rest } = entry as Record<string, unknown>;
    if (Object.keys(rest).length) throw new EthError('MALFORMED_TRANSACTION', 'unknown access list field', { field });
    if (!Array.isArray(storageKeys) || storageKeys.length > MAX_ACCESS_LIST) {
      throw new EthError('MALFORMED_TRANSACTION', 'storageKeys is an array of 32-byte hex keys', { field: `${field}.storageKeys` });
    }
    return {
      address: parseAddress(address, `${field}.address`),
      storageKeys: storageKeys.map((key: unknown, k) => {
        if (typeof key !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(key)) {
          throw new EthError('MALFORMED_TRANSACTION', 'a storage key is 32 bytes of hex', { field: `${field}.storageKeys[${k}]` });
        }
        return key.toLowerCase();
      }),
    };
  });
}
