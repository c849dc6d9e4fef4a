/**
 * What the backup flow needs from an opened Seedkeeper (SELECT, secure channel and PIN done):
 * the commands of ../shared/protocols/satochip-seedkeeper.md sections 7-8. `seedkeeperPort`
 * implements it over the Seedkeeper client; the flow itself never sees APDUs.
 */
import type { SatochipClient } from '../../../drivers/satochip/client.ts';
import { type EncryptedSecret, SeedkeeperClient } from '../../../drivers/satochip/seedkeeper/client.ts';
import { type SecretHeader as CardSecretHeader, SECRET_TYPE } from '../../../drivers/satochip/seedkeeper/secrets.ts';

export type { EncryptedSecret } from '../../../drivers/satochip/seedkeeper/client.ts';
export { HALF_WRITTEN_FINGERPRINT } from '../../../drivers/satochip/seedkeeper/secrets.ts';

/** The header facts the flow decides on. */
export type SecretHeader = Pick<CardSecretHeader, 'sid' | 'type' | 'exportRights' | 'fingerprint' | 'label'>;

export interface SeedkeeperPort {
  /** Which opening of the card this is: headers read under the same number are still current. */
  readonly session: number;
  authentikey(): Promise<Uint8Array>;
  listHeaders(): Promise<SecretHeader[]>;
  /** Plain import of a peer authentikey as a PUBKEY (0x70) secret. */
  importPubkey(authentikey: Uint8Array, label: string): Promise<SecretHeader>;
  exportEncrypted(sid: number, peerPubkeySid: number): Promise<EncryptedSecret>;
  /** Returns the new secret's header; its fingerprint is what the card computed. */
  importEncrypted(secret: EncryptedSecret, peerPubkeySid: number): Promise<SecretHeader>;
  deleteSecret(sid: number): Promise<void>;
}

export const TYPE_PUBKEY = SECRET_TYPE.PUBKEY;

/** The port over an opened Seedkeeper client (SELECT seedkeeper, channel, PIN verified). */
export function seedkeeperPort(card: SatochipClient, session: number, store = new SeedkeeperClient(card)): SeedkeeperPort {
  return {
    session,
    // A Seedkeeper states its authentikey in INIT SC (section 14.6): no APDU needed then.
    authentikey: async () => card.authentikey ?? card.exportAuthentikey(),
    listHeaders: () => store.listHeaders(),
    async importPubkey(authentikey, label) {
      const stored = await store.importSecret({ kind: 'pubkey', publicKey: authentikey }, { label });
      return { sid: stored.sid, type: SECRET_TYPE.PUBKEY, exportRights: 0x01, fingerprint: stored.fingerprint, label };
    },
    exportEncrypted: (sid, peer) => store.exportEncrypted(sid, peer),
    async importEncrypted(secret, peer) {
      const stored = await store.importEncrypted(secret, peer);
      const label = new TextDecoder().decode(secret.header.subarray(13, 13 + (secret.header[12] ?? 0)));
      return { sid: stored.sid, type: secret.header[0]!, exportRights: secret.header[2]! & 0x03, fingerprint: stored.fingerprint, label };
    },
    deleteSecret: (sid) => store.deleteSecret(sid),
  };
}
