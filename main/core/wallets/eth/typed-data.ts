/**
 * EIP-712 typed data read strictly (the eth_signTypedData_v4 payload: types, primaryType, domain,
 * message): every message value checked against its declared type and normalised (integers as decimal
 * strings, addresses checksummed, bytes lowercase hex), no missing or extra fields (what is shown is
 * exactly what is hashed: ethers alone would hash a missing bool as false and ignore extra fields),
 * the domain's chain id the network's. Gives the fields flattened for the approval prompt and the
 * three hashes: domain separator, message hash (hashStruct of the primary type), final digest.
 */
import { TypedDataEncoder, concat, keccak256 } from 'ethers';
import { EthError, wrapEthers } from './errors.ts';
import { MAX_UINT256, parseAddress, parseQuantity } from './fields.ts';
import { type EthNetwork, checkChainId } from './networks.ts';

export interface TypedDataField {
  readonly name: string;
  readonly type: string;
}

export interface TypedDataDomain {
  readonly name?: string;
  readonly version?: string;
  readonly chainId?: number | string;
  readonly verifyingContract?: string;
  readonly salt?: string;
}

/** One leaf of the message (or domain), for display: `path` like "to.wallet" or "items[1].amount". */
export interface TypedDataLeaf {
  readonly path: string;
  readonly type: string;
  readonly value: string | boolean;
}

export interface ParsedTypedData {
  readonly primaryType: string;
  /** Only the types reachable from the primary type, without EIP712Domain. */
  readonly types: Readonly<Record<string, readonly TypedDataField[]>>;
  readonly domain: TypedDataDomain;
  /** The message, normalised (JSON-safe). */
  readonly message: Readonly<Record<string, unknown>>;
  readonly domainLeaves: readonly TypedDataLeaf[];
  readonly leaves: readonly TypedDataLeaf[];
  readonly domainSeparator: string;
  readonly messageHash: string;
  readonly digest: string;
}

const MAX_JSON_CHARS = 1024 * 1024;
const MAX_TYPES = 128;
const MAX_FIELDS_PER_TYPE = 128;
const MAX_LEAVES = 4096;
const MAX_DEPTH = 16;
const IDENTIFIER = /^(?!__proto__$)[A-Za-z_$][A-Za-z0-9_$]*$/;
const DOMAIN_FIELDS: readonly TypedDataField[] = [
  { name: 'name', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'verifyingContract', type: 'address' },
  { name: 'salt', type: 'bytes32' },
];

function invalid(message: string, field?: string): EthError {
  return new EthError('INVALID_TYPED_DATA', message, field === undefined ? {} : { field: field.slice(0, 120) });
}

export function parseTypedData(input: unknown, network: EthNetwork): ParsedTypedData {
  const payload = readPayload(input);
  const { types: allTypes, primaryType } = readTypes(payload.types, payload.primaryType);
  const domain = readDomain(payload.domain, network);
  checkDomainType(allTypes.EIP712Domain, domain);
  const types = reachable(allTypes, primaryType);

  const leaves: TypedDataLeaf[] = [];
  const walker = new Walker(types, leaves);
  const message = walker.struct(primaryType, payload.message, 'message', 0) as Record<string, unknown>;
  const domainLeaves: TypedDataLeaf[] = DOMAIN_FIELDS.filter((f) => domain[f.name as keyof TypedDataDomain] !== undefined).map((f) => ({
    path: f.name,
    type: f.type,
    value: String(domain[f.name as keyof TypedDataDomain]),
  }));

  return wrapEthers('INVALID_TYPED_DATA', 'the typed data does not encode', {}, () => {
    const encoder = TypedDataEncoder.from(types as Record<string, TypedDataField[]>);
    if (encoder.primaryType !== primaryType) throw invalid('the primary type is not the root of the types', 'primaryType');
    const domainSeparator = TypedDataEncoder.hashDomain(domain);
    const messageHash = encoder.hash(message);
    const digest = TypedDataEncoder.hash(domain, types as Record<string, TypedDataField[]>, message);
    if (keccak256(concat(['0x1901', domainSeparator, messageHash])) !== digest) throw invalid('the EIP-712 digest does not recompute');
    return { primaryType, types, domain, message, domainLeaves, leaves, domainSeparator, messageHash, digest };
  });
}

function readPayload(input: unknown): Record<string, unknown> {
  let value = input;
  if (typeof input === 'string') {
    if (input.length > MAX_JSON_CHARS) throw invalid('the typed data is too large');
    try {
      value = JSON.parse(input);
    } catch {
      throw invalid('the typed data JSON does not parse');
    }
  }
  if (!isPlainObject(value)) throw invalid('typed data is an object with types, primaryType, domain and message');
  for (const key of Object.keys(value)) {
    if (!['types', 'primaryType', 'domain', 'message'].includes(key)) throw invalid('unknown typed data field', key);
  }
  return value;
}

function readTypes(value: unknown, primaryType: unknown): { types: Record<string, TypedDataField[]>; primaryType: string } {
  if (!isPlainObject(value)) throw invalid('types is an object of struct definitions', 'types');
  const names = Object.keys(value);
  if (names.length === 0 || names.length > MAX_TYPES) throw invalid(`types has 1 to ${MAX_TYPES} structs`, 'types');
  const types: Record<string, TypedDataField[]> = {};
  for (const name of names) {
    if (!IDENTIFIER.test(name) || atomicType(name)) throw invalid('a struct name is an identifier that is not an atomic type', `types.${name}`);
    const fields = value[name];
    if (!Array.isArray(fields) || fields.length > MAX_FIELDS_PER_TYPE) throw invalid('a struct is an array of { name, type }', `types.${name}`);
    const seen = new Set<string>();
    types[name] = fields.map((field: unknown, i) => {
      const where = `types.${name}[${i}]`;
      if (!isPlainObject(field) || Object.keys(field).length !== 2 || typeof field.name !== 'string' || typeof field.type !== 'string') {
        throw invalid('a struct member is { name, type }', where);
      }
      if (!IDENTIFIER.test(field.name) || seen.has(field.name)) throw invalid('a member name is a unique identifier', where);
      seen.add(field.name);
      if (field.type.length > 256 || !/^[A-Za-z_$][A-Za-z0-9_$]*(\[[0-9]*\])*$/.test(field.type) || baseOf(field.type) === '__proto__') throw invalid('a member type is a type name with optional [] or [n]', where);
      return { name: field.name, type: field.type };
    });
  }
  if (typeof primaryType !== 'string' || !Object.hasOwn(types, primaryType)) throw invalid('primaryType names one of the types', 'primaryType');
  if (primaryType === 'EIP712Domain') throw invalid('signing the domain alone is not supported', 'primaryType');
  return { types, primaryType };
}

function readDomain(value: unknown, network: EthNetwork): TypedDataDomain {
  if (!isPlainObject(value)) throw invalid('domain is an object', 'domain');
  const domain: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (field === null || field === undefined) continue;
    switch (key) {
      case 'name':
      case 'version':
        if (typeof field !== 'string') throw invalid(`domain.${key} is a string`, `domain.${key}`);
        domain[key] = field;
        break;
      case 'chainId': {
        const chainId = parseQuantity(field, { field: 'domain.chainId', max: MAX_UINT256 });
        checkChainId(network, chainId, 'domain.chainId');
        domain.chainId = network.chainId;
        break;
      }
      case 'verifyingContract':
        domain.verifyingContract = parseAddress(field, 'domain.verifyingContract');
        break;
      case 'salt':
        if (typeof field !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(field)) throw invalid('domain.salt is 32 bytes of hex', 'domain.salt');
        domain.salt = field.toLowerCase();
        break;
      default:
        throw invalid('unknown domain field', `domain.${key}`);
    }
  }
  return domain as TypedDataDomain;
}

/** A given EIP712Domain type must be exactly the one the domain's fields imply (in the EIP's order). */
function checkDomainType(given: readonly TypedDataField[] | undefined, domain: TypedDataDomain): void {
  if (given === undefined) return;
  const implied = DOMAIN_FIELDS.filter((f) => domain[f.name as keyof TypedDataDomain] !== undefined);
  if (JSON.stringify(given) !== JSON.stringify(implied)) {
    throw invalid(`EIP712Domain must be ${implied.map((f) => `${f.type} ${f.name}`).join(', ') || 'empty'} for this domain`, 'types.EIP712Domain');
  }
}

function reachable(types: Record<string, TypedDataField[]>, primaryType: string): Record<string, TypedDataField[]> {
  const out: Record<string, TypedDataField[]> = {};
  const visit = (name: string) => {
    if (Object.hasOwn(out, name) || !Object.hasOwn(types, name) || name === 'EIP712Domain') return;
    out[name] = types[name]!;
    for (const field of types[name]!) visit(baseOf(field.type));
  };
  visit(primaryType);
  return out;
}

function baseOf(type: string): string {
  return type.replace(/(\[[0-9]*\])+$/, '');
}

type Atomic = { kind: 'int'; signed: boolean; bits: number } | { kind: 'bytes'; size: number | null } | { kind: 'address' | 'bool' | 'string' };

function atomicType(type: string): Atomic | undefined {
  const int = /^(u?)int([0-9]+)$/.exec(type);
  if (int) {
    const bits = Number(int[2]);
    if (bits % 8 !== 0 || bits < 8 || bits > 256 || String(bits) !== int[2]) return undefined;
    return { kind: 'int', signed: int[1] === '', bits };
  }
  const bytes = /^bytes([0-9]+)$/.exec(type);
  if (bytes) {
    const size = Number(bytes[1]);
    return size >= 1 && size <= 32 && String(size) === bytes[1] ? { kind: 'bytes', size } : undefined;
  }
  if (type === 'bytes') return { kind: 'bytes', size: null };
  if (type === 'address' || type === 'bool' || type === 'string') return { kind: type };
  return undefined;
}

class Walker {
  private count = 0;
  constructor(
    private readonly types: Record<string, TypedDataField[]>,
    private readonly leaves: TypedDataLeaf[],
  ) {}

  struct(name: string, value: unknown, path: string, depth: number): Record<string, unknown> {
    if (depth > MAX_DEPTH) throw invalid(`the message nests deeper than ${MAX_DEPTH}`, path);
    if (!isPlainObject(value)) throw invalid(`${name} is an object`, path);
    const fields = this.types[name]!;
    for (const key of Object.keys(value)) {
      if (!fields.some((f) => f.name === key)) throw invalid(`${name} has no member "${key}" (it would be shown but not signed)`, `${path}.${key}`);
    }
    const out: Record<string, unknown> = {};
    for (const field of fields) {
      if (!Object.hasOwn(value, field.name) || value[field.name] === undefined || value[field.name] === null) throw invalid(`${name}.${field.name} is missing`, `${path}.${field.name}`);
      out[field.name] = this.value(field.type, value[field.name], `${path}.${field.name}`, depth + 1);
    }
    return out;
  }

  private value(type: string, value: unknown, path: string, depth: number): unknown {
    if (depth > MAX_DEPTH) throw invalid(`the message nests deeper than ${MAX_DEPTH}`, path);
    const array = /^(.*)\[([0-9]*)\]$/.exec(type);
    if (array) {
      const [, element, length] = array as unknown as [string, string, string];
      if (!Array.isArray(value)) throw invalid(`${type} is an array`, path);
      if (length !== '' && value.length !== Number(length)) throw invalid(`${type} has exactly ${length} items`, path);
      if (value.length === 0) this.leaf(path, type, '[]');
      return value.map((item, i) => this.value(element, item, `${path}[${i}]`, depth + 1));
    }
    if (Object.hasOwn(this.types, type)) return this.struct(type, value, path, depth);
    const atomic = atomicType(type);
    if (!atomic) throw invalid(`unknown type ${type}`, path);
    switch (atomic.kind) {
      case 'int': {
        const max = (1n << BigInt(atomic.signed ? atomic.bits - 1 : atomic.bits)) - 1n;
        let n: bigint;
        if (atomic.signed && typeof value === 'string' && value.startsWith('-')) n = -parseQuantity(value.slice(1), { field: path, max: max + 1n });
        else if (atomic.signed && typeof value === 'number' && value < 0) n = -parseQuantity(-value, { field: path, max: max + 1n });
        else n = parseQuantity(value, { field: path, max });
        if (n > max || n < -max - 1n) throw new EthError('VALUE_OVERFLOW', `the value is out of range for ${type}`, { field: path });
        const text = n.toString();
        this.leaf(path, type, text);
        return text;
      }
      case 'bytes': {
        if (typeof value !== 'string' || !/^0x(?:[0-9a-fA-F]{2})*$/.test(value)) throw invalid(`${type} is 0x-hex`, path);
        if (atomic.size !== null && value.length !== 2 + 2 * atomic.size) throw invalid(`${type} is exactly ${atomic.size} bytes`, path);
        const hex = value.toLowerCase();
        this.leaf(path, type, hex);
        return hex;
      }
      case 'address': {
        const address = parseAddress(value, path);
        this.leaf(path, type, address);
        return address;
      }
      case 'bool':
        if (typeof value !== 'boolean') throw invalid('bool is true or false', path);
        this.leaf(path, type, value);
        return value;
      case 'string':
        if (typeof value !== 'string') throw invalid('string is a string', path);
        this.leaf(path, type, value);
        return value;
    }
  }

  private leaf(path: string, type: string, value: string | boolean): void {
    if (++this.count > MAX_LEAVES) throw invalid(`the message has more than ${MAX_LEAVES} values`);
    this.leaves.push({ path: path.replace(/^message\./, ''), type, value });
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}
