/**
 * `tapdesk xpub` and `tapdesk sign-digest` when the reader holds a Keycard: open it with the stored
 * pairing (or pair and store), VERIFY PIN once (TAPDESK_PIN or "Keycard PIN: "), then getXpub
 * (2 APDUs) or SIGN P1=01 (1 APDU, the current path unchanged). The Keycard refuses an extended key
 * for the master (stale chain code) and inside EIP-1581 (m/43'/60'/1581'): refused here first, exit 2.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { createBase58check } from '@scure/base';
import { isEip1581, keycardPath } from '../../drivers/keycard/paths.ts';
import { formatBip32Path } from '../../drivers/satochip/bip32-path.ts';
import { type CliContext, CliFailure, EXIT } from './common.ts';
import { KEYCARD_ENV, cliPairings, keycardHex, keycardPin, withKeycard } from './keycard.ts';

const base58check = createBase58check(sha256);

/** The fields of a serialised BIP32 public node (78 bytes). */
function xpubFields(xpub: string) {
  const raw = base58check.decode(xpub);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return { depth: raw[4]!, parentFingerprint: view.getUint32(5), childNumber: view.getUint32(9), chainCode: raw.slice(13, 45), publicKey: raw.slice(45, 78) };
}

function indexesOf(path: string): number[] {
  return keycardPath(path);
}

export interface KeycardXpubResult {
  readonly reader: string;
  readonly path: string;
  readonly version: string;
  readonly xpub: string;
  readonly publicKey: string;
  readonly chainCode: string;
  readonly depth: number;
  readonly parentFingerprint: string;
  readonly card: 'keycard';
  readonly instanceUid: string;
}

export async function keycardXpub(context: CliContext, options: { reader: string; path: string; versionName: string; version: number }): Promise<KeycardXpubResult> {
  const indexes = indexesOf(options.path);
  if (indexes.length === 0) {
    throw new CliFailure(EXIT.USAGE, 'a Keycard gives no extended key for the master m (its chain code there is stale, section 9): ask for a derived path such as m/44\'/0\'/0\'');
  }
  if (isEip1581(indexes)) {
    throw new CliFailure(EXIT.USAGE, `a Keycard gives no extended key inside m/43'/60'/1581' (EIP-1581); ${formatBip32Path(indexes)} is there`);
  }
  const pin = await keycardPin(context.io, 'xpub');
  const { xpub, instanceUid } = await withKeycard(context, options.reader, { pairings: cliPairings(context.io), pin, pinSource: KEYCARD_ENV.pin }, async (client, opened) => ({
    xpub: await client.getXpub(indexes, options.version),
    instanceUid: opened.instanceUid,
  }));
  const fields = xpubFields(xpub);
  return {
    reader: options.reader,
    path: formatBip32Path(indexes),
    version: options.versionName,
    xpub,
    publicKey: keycardHex(fields.publicKey),
    chainCode: keycardHex(fields.chainCode),
    depth: fields.depth,
    parentFingerprint: fields.parentFingerprint.toString(16).padStart(8, '0'),
    card: 'keycard',
    instanceUid,
  };
}

export interface KeycardSignResult {
  readonly reader: string;
  readonly path: string;
  readonly digest: string;
  /** Compressed, like the Satochip's. */
  readonly publicKey: string;
  readonly publicKeyUncompressed: string;
  readonly compact: string;
  readonly r: string;
  readonly s: string;
  readonly recoveryId: number;
  /** DER of `compact` (low S). */
  readonly der: string;
  /** The DER as the card sent it (its s may be the high one). */
  readonly cardDer: string;
  readonly lowS: true;
  readonly card: 'keycard';
  readonly instanceUid: string;
}

export async function keycardSignDigest(context: CliContext, options: { reader: string; path: string; digest: Uint8Array }): Promise<KeycardSignResult> {
  const indexes = indexesOf(options.path);
  const pin = await keycardPin(context.io, 'sign-digest');
  const { signature, instanceUid } = await withKeycard(context, options.reader, { pairings: cliPairings(context.io), pin, pinSource: KEYCARD_ENV.pin }, async (client, opened) => ({
    signature: await client.sign({ path: indexes }, options.digest),
    instanceUid: opened.instanceUid,
  }));
  return {
    reader: options.reader,
    path: formatBip32Path(indexes),
    digest: keycardHex(options.digest),
    publicKey: keycardHex(secp256k1.Point.fromBytes(signature.publicKey).toBytes(true)),
    publicKeyUncompressed: keycardHex(signature.publicKey),
    compact: keycardHex(signature.compact),
    r: keycardHex(signature.compact.subarray(0, 32)),
    s: keycardHex(signature.compact.subarray(32)),
    recoveryId: signature.recoveryId,
    der: keycardHex(secp256k1.Signature.fromBytes(signature.compact, 'compact').toBytes('der')),
    cardDer: keycardHex(signature.der),
    lowS: true,
    card: 'keycard',
    instanceUid,
  };
}
