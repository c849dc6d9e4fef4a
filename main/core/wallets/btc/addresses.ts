/**
 * Reading an address someone typed or pasted: its checksum, its network, and the output script it
 * pays. Typed errors: INVALID_ADDRESS (not an address, or one we refuse to pay: an unknown segwit
 * version could lose the funds) and WRONG_NETWORK (a good address of another network).
 */
import { address as bjsAddress } from 'bitcoinjs-lib';
import { ecc } from './ecc.ts';
import { BtcError } from './errors.ts';
import { BTC_NETWORK_NAMES, BTC_NETWORKS, type BtcNetwork, type BtcNetworkName } from './networks.ts';
import { p2pkhScript, p2shScript, p2trScript, p2wpkhScript, p2wshScript, type ScriptType } from './scripts.ts';

export interface ParsedAddress {
  /** The address as given, without surrounding spaces (bech32 lowercased). */
  readonly address: string;
  readonly type: Extract<ScriptType, 'p2wpkh' | 'p2wsh' | 'p2tr' | 'p2pkh' | 'p2sh'>;
  readonly script: Uint8Array;
}

/** The networks whose encodings read `address` (checksum valid), e.g. ['testnet', 'signet', 'regtest'] for tb1... */
export function addressNetworks(address: string): BtcNetworkName[] {
  const decoded = decode(address.trim());
  if (!decoded) return [];
  return BTC_NETWORK_NAMES.filter((name) => {
    const params = BTC_NETWORKS[name].params;
    return decoded.kind === 'bech32'
      ? decoded.prefix === params.bech32
      : decoded.version === params.pubKeyHash || decoded.version === params.scriptHash;
  });
}

/** The output script `address` pays on `network`, or INVALID_ADDRESS / WRONG_NETWORK. */
export function parseAddress(address: unknown, network: BtcNetwork, field = 'address'): ParsedAddress {
  if (typeof address !== 'string' || address.trim() === '') {
    throw new BtcError('INVALID_ADDRESS', 'no address given', { field });
  }
  const text = address.trim();
  const shown = text.length > 100 ? `${text.slice(0, 100)}...` : text;
  const decoded = decode(text);
  if (!decoded) throw new BtcError('INVALID_ADDRESS', 'not a valid address (bad checksum or encoding)', { field, address: shown });
  const params = network.params;
  const wrongNetwork = () => {
    const found = addressNetworks(text);
    if (found.length === 0) {
      const prefix = decoded.kind === 'bech32' ? `prefix "${decoded.prefix}"` : `version byte ${decoded.version}`;
      return new BtcError('INVALID_ADDRESS', `not an address of a known network (${prefix})`, { field, address: shown, network: network.name });
    }
    return new BtcError('WRONG_NETWORK', `this address is for ${found.join('/')}, not ${network.name}`, {
      field,
      address: shown,
      network: network.name,
      addressNetworks: found,
    });
  };
  if (decoded.kind === 'base58') {
    if (decoded.version === params.pubKeyHash) return { address: text, type: 'p2pkh', script: p2pkhScript(decoded.hash) };
    if (decoded.version === params.scriptHash) return { address: text, type: 'p2sh', script: p2shScript(decoded.hash) };
    throw wrongNetwork();
  }
  if (decoded.prefix !== params.bech32) throw wrongNetwork();
  const { version, data } = decoded;
  const lower = text.toLowerCase();
  if (version === 0 && data.length === 20) return { address: lower, type: 'p2wpkh', script: p2wpkhScript(data) };
  if (version === 0 && data.length === 32) return { address: lower, type: 'p2wsh', script: p2wshScript(data) };
  if (version === 0) throw new BtcError('INVALID_ADDRESS', 'a segwit v0 program must be 20 or 32 bytes', { field, address: shown, length: data.length });
  if (version === 1 && data.length === 32) {
    if (!ecc.isXOnlyPoint(data)) {
      throw new BtcError('INVALID_ADDRESS', 'the taproot output key is not a point on the curve: nobody could spend it', { field, address: shown });
    }
    return { address: lower, type: 'p2tr', script: p2trScript(data) };
  }
  if (version > 16 || data.length < 2 || data.length > 40) {
    throw new BtcError('INVALID_ADDRESS', 'not a valid segwit address', { field, address: shown, version, length: data.length });
  }
  throw new BtcError('INVALID_ADDRESS', `segwit version ${version} (${data.length}-byte program) has no meaning yet: funds sent to it could be lost`, {
    field,
    address: shown,
    version,
  });
}

type Decoded = { kind: 'base58'; version: number; hash: Uint8Array } | { kind: 'bech32'; prefix: string; version: number; data: Uint8Array };

function decode(text: string): Decoded | null {
  if (text.length > 120) return null;
  try {
    const { version, hash } = bjsAddress.fromBase58Check(text);
    return { kind: 'base58', version, hash };
  } catch {
    // not base58check: try bech32 / bech32m
  }
  try {
    const { prefix, version, data } = bjsAddress.fromBech32(text);
    return { kind: 'bech32', prefix, version, data };
  } catch {
    return null;
  }
}
