/**
 * The CardDriver interface every card family implements, and the registry that identifies the
 * card on a reader: SELECT each family's AID (families whose ATR hint matches go first) and let
 * the family that answers 9000 describe the card. A card nobody claims is reported as unknown,
 * with its ATR, never ignored.
 */
import type { CommandApdu, ResponseApdu } from './pcsc/apdu.ts';
import { toHex, SW_OK } from './pcsc/apdu.ts';
import type { ApduTransport, SendOptions } from './pcsc/transport.ts';

export type CardFamily = 'satochip' | 'seedkeeper' | 'keycard' | 'cktap' | 'test';

export interface CardCapabilities {
  /** Chains the card can sign for. */
  readonly sign: readonly ('btc' | 'eth')[];
  /** How the card is backed up. */
  readonly backup: 'none' | 'seedkeeper-export' | 'keycard-duplicate' | 'cktap-backup';
  /** How the card proves it is genuine. */
  readonly attestation: 'none' | 'satochip-pki' | 'keycard-ident' | 'cktap-certificate';
}

export interface CardIdentity {
  readonly family: CardFamily;
  /** Product name for people: "Satochip", "Seedkeeper", "Keycard", "TAPSIGNER", ... */
  readonly product: string;
  /** The AID that answered SELECT, hex. */
  readonly aid: string;
  /** Short facts read during identification (versions, setup state). */
  readonly details: Readonly<Record<string, string>>;
  readonly capabilities: CardCapabilities;
}

export interface CardDriver {
  readonly family: CardFamily;
  readonly aid: Uint8Array;
  /** True when the ATR suggests this family (tried first). The ATR is a hint, SELECT decides. */
  atrHint?(atr: Uint8Array): boolean;
  /**
   * Describe the card from its SELECT answer (SW 9000), reading more plaintext facts if the
   * family allows it. Returns null if the answer shows it is not this family after all.
   */
  describe(select: ResponseApdu, transport: ApduTransport, options: SendOptions): Promise<CardIdentity | null>;
}

export type Identification =
  | { readonly kind: 'identified'; readonly identity: CardIdentity }
  | { readonly kind: 'unknown'; readonly atr: string };

export function selectCommand(aid: Uint8Array): CommandApdu {
  return { cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00, data: aid, name: 'SELECT' };
}

export function orderDrivers(drivers: readonly CardDriver[], atr: Uint8Array): CardDriver[] {
  const hinted = drivers.filter((d) => d.atrHint?.(atr));
  return [...hinted, ...drivers.filter((d) => !hinted.includes(d))];
}

export async function identifyCard(
  transport: ApduTransport,
  atr: Uint8Array,
  drivers: readonly CardDriver[],
  options: SendOptions = {},
): Promise<Identification> {
  for (const driver of orderDrivers(drivers, atr)) {
    const response = await transport.send(selectCommand(driver.aid), options);
    if (response.sw !== SW_OK) continue;
    const identity = await driver.describe(response, transport, options);
    if (identity) return { kind: 'identified', identity };
  }
  return { kind: 'unknown', atr: toHex(atr) };
}
