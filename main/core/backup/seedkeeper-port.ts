/**
 * What the backup flow needs from an opened Seedkeeper (SELECT, secure channel and PIN done):
 * the commands of ../shared/protocols/satochip-seedkeeper.md sections 7-8. Implemented over the
 * Seedkeeper client; the flow itself never sees APDUs.
 */
export interface SecretHeader {
  readonly sid: number;
  /** 7.1 type byte: 0x10 master seed, 0x70 public key, 0x90 password, ... */
  readonly type: number;
  readonly exportRights: number;
  /** First 4 bytes of SHA-256 of the plain blob, hex; "00000000" marks a half-written object. */
  readonly fingerprint: string;
  readonly label: string;
}

/** An encrypted export as it leaves the master card (section 8): opaque to the host. */
export interface EncryptedSecret {
  readonly sourceSid: number;
  /** Header bytes (13 + label) from the same export. */
  readonly header: Uint8Array;
  readonly iv: Uint8Array;
  readonly ciphertext: Uint8Array;
  readonly mac: Uint8Array;
  /** Fingerprint from the header (bytes 6..9), hex: what the backup card must compute. */
  readonly fingerprint: string;
}

export interface SeedkeeperPort {
  authentikey(): Promise<Uint8Array>;
  listHeaders(): Promise<SecretHeader[]>;
  /** Plain import of a peer authentikey as a PUBKEY (0x70) secret. */
  importPubkey(authentikey: Uint8Array, label: string): Promise<SecretHeader>;
  exportEncrypted(sid: number, peerPubkeySid: number): Promise<EncryptedSecret>;
  /** Returns the new secret's header; its fingerprint is what the card computed. */
  importEncrypted(secret: EncryptedSecret, peerPubkeySid: number): Promise<SecretHeader>;
  deleteSecret(sid: number): Promise<void>;
}

export const TYPE_PUBKEY = 0x70;
export const HALF_WRITTEN_FINGERPRINT = '00000000';
