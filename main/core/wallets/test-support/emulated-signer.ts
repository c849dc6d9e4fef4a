/**
 * Test support: a CardSigner backed by the real Satochip client and an emulated Satochip
 * in-process, set up and seeded with `mnemonic` (default "abandon ... about", no passphrase).
 */
import { ApduTransport } from '../../../../drivers/pcsc/transport.ts';
import { SatochipClient } from '../../../../drivers/satochip/client.ts';
import { demoSatochip } from '../../../../drivers/satochip/emulator/index.ts';
import { InProcessChannel } from '../../../../drivers/virtual/in-process.ts';
import { satochipSigner } from '../satochip-signer.ts';
import type { CardSigner } from '../signer.ts';

export const TEST_MNEMONIC = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';

/** `sent`: the names of the commands sent after setup, in order (tests clear it as they need). */
export async function emulatedSatochipSigner(mnemonic = TEST_MNEMONIC, passphrase = ''): Promise<{ signer: CardSigner; client: SatochipClient; apdus: () => number; sent: string[] }> {
  const card = demoSatochip(`signer ${mnemonic} ${passphrase}`);
  let apdus = 0;
  const sent: string[] = [];
  const transport = new ApduTransport(new InProcessChannel('test signer', card));
  const client = new SatochipClient({ send: (command) => (apdus++, sent.push(command.name ?? '?'), transport.send(command)) });
  await client.select('satochip');
  await client.getStatus();
  await client.initSecureChannel();
  await client.setup({ pin: '1234', puk: '12345678' });
  await client.verifyPin('1234');
  await client.importSeed(mnemonic, passphrase);
  sent.length = 0;
  return { signer: satochipSigner(client), client, apdus: () => apdus, sent };
}
