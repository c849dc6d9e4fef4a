/**
 * The card identifier the device certificate's CN is derived from
 * (../shared/protocols/satochip-seedkeeper.md section 6.2 step 1): before the applet is selected,
 * ask the GlobalPlatform card manager for CPLC (80 CA 9F 7F), IIN (80 CA 00 42) and CIN
 * (80 CA 00 45), each with Le = 00, and concatenate the data fields exactly as returned (status
 * words excluded). A GET DATA that fails adds nothing: cards without a card manager (emulators)
 * have an empty identifier, whose SHA-1 is da39a3ee...
 */
import type { CommandApdu, ResponseApdu } from '../../pcsc/apdu.ts';
import { SW_OK } from '../../pcsc/apdu.ts';

export const CARD_MANAGER_GET_DATA: readonly CommandApdu[] = [
  { cla: 0x80, ins: 0xca, p1: 0x9f, p2: 0x7f, le: 256, name: 'GET DATA CPLC' },
  { cla: 0x80, ins: 0xca, p1: 0x00, p2: 0x42, le: 256, name: 'GET DATA IIN' },
  { cla: 0x80, ins: 0xca, p1: 0x00, p2: 0x45, le: 256, name: 'GET DATA CIN' },
];

export async function readCardIdentifier(send: (command: CommandApdu) => Promise<ResponseApdu>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (const command of CARD_MANAGER_GET_DATA) {
    const response = await send(command);
    if (response.sw === SW_OK) parts.push(response.data);
  }
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}
