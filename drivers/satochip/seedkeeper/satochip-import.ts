/**
 * The Satochip's side of "restore a Satochip from a Seedkeeper" (../shared/protocols/satochip-seedkeeper.md
 * section 9 steps 1, 4, 5): trust the Seedkeeper's authentikey, then import the seed it encrypted
 * for this card. Over an opened SatochipClient (SELECT satochip, secure channel, PIN verified).
 * APDUs: IMPORT TRUSTED PUBKEY 1, EXPORT TRUSTED PUBKEY 1, IMPORT ENCRYPTED SECRET 1.
 */
import { bytesEqual, ByteReader } from '../bytes.ts';
import type { SatochipClient } from '../client.ts';
import { badResponse, invalidArgument, isSatochipError } from '../errors.ts';
import type { SatochipTransfer } from './client.ts';
import { exportTrustedPubkeyCommand, importEncryptedSecretCommand, importTrustedPubkeyCommand } from './commands.ts';

/** `0041 | pubkey(65) | slen | sig`, sig by the Satochip's authentikey over `0041 | pubkey`. */
function parseTrustedPubkeyAnswer(client: SatochipClient, data: Uint8Array, what: string): Uint8Array {
  const reader = new ByteReader(data, what);
  const publicKey = reader.lengthPrefixed('trusted pubkey', 65);
  const signed = reader.consumed();
  const signature = reader.lengthPrefixed('signature');
  reader.end();
  client.verifyAuthentikeySignature(signed, signature, what);
  return publicKey;
}

function requireSatochip(client: SatochipClient, operation: string): void {
  if (client.applet !== 'satochip') throw invalidArgument('applet', `${operation} is a Satochip command`);
}

/** IMPORT TRUSTED PUBKEY (AA): the Seedkeeper's authentikey. A seeded Satochip refuses (ALREADY_SEEDED). */
export async function importTrustedPubkey(client: SatochipClient, seedkeeperAuthentikey: Uint8Array): Promise<void> {
  requireSatochip(client, 'importTrustedPubkey');
  const stored = parseTrustedPubkeyAnswer(client, await client.sendSecure(importTrustedPubkeyCommand(seedkeeperAuthentikey)), 'IMPORT TRUSTED PUBKEY');
  if (!bytesEqual(stored, seedkeeperAuthentikey)) throw badResponse('the card states a trusted key other than the one sent', 'IMPORT TRUSTED PUBKEY');
}

/** EXPORT TRUSTED PUBKEY (AB): the Seedkeeper key this Satochip trusts, or null when none. */
export async function exportTrustedPubkey(client: SatochipClient): Promise<Uint8Array | null> {
  requireSatochip(client, 'exportTrustedPubkey');
  try {
    return parseTrustedPubkeyAnswer(client, await client.sendSecure(exportTrustedPubkeyCommand()), 'EXPORT TRUSTED PUBKEY');
  } catch (error) {
    if (isSatochipError(error, 'NO_TRUSTED_PUBKEY')) return null;
    throw error;
  }
}

/**
 * IMPORT ENCRYPTED SECRET (AC) of a master seed the trusted Seedkeeper exported for this card.
 * The Satochip checks the MAC and the fingerprint (IMPORT_REJECTED) and answers like IMPORT SEED;
 * returns its authentikey, checked against the channel.
 */
export async function importEncryptedSeed(client: SatochipClient, transfer: SatochipTransfer): Promise<Uint8Array> {
  requireSatochip(client, 'importEncryptedSeed');
  const command = importEncryptedSecretCommand(transfer.header.subarray(0, 12), transfer.iv, transfer.ciphertext, transfer.mac);
  return client.acceptAuthentikeyAnswer(await client.sendSecure(command), 'IMPORT ENCRYPTED SECRET');
}
