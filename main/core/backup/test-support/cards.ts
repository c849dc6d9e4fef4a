/**
 * Test support: emulated Seedkeepers and Satochips set up through our own client (in-process), and
 * a "person" who answers the card opener's prompts by moving cards on one reader.
 */
import { ApduTransport } from '../../../../drivers/pcsc/transport.ts';
import { SatochipClient } from '../../../../drivers/satochip/client.ts';
import { type SatochipEmulator, type SeedkeeperEmulator, demoSatochip, demoSeedkeeper } from '../../../../drivers/satochip/emulator/index.ts';
import { SeedkeeperClient } from '../../../../drivers/satochip/seedkeeper/client.ts';
import type { SecretContent } from '../../../../drivers/satochip/seedkeeper/secrets.ts';
import type { CardEmulator } from '../../../../drivers/virtual/emulator.ts';
import { InProcessChannel } from '../../../../drivers/virtual/in-process.ts';
import type { CardPrompt } from '../card-opener.ts';
import type { InProcessSlots } from './in-process-slots.ts';

export const MNEMONIC = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
export const DESCRIPTOR = "wpkh([73c5da0a/84h/0h/0h]xpub6CatWdiZiodmUeTDp8LT5or8nmbKNcuyvz7WyksVFkKB4RHwCD3XyuvPEbvqAQY3rAPshWcMLoP2fMFMKHPJ4ZeZXYVUhLv1VMrjPC7PW6V/0/*)";

export const SAMPLE_SECRETS: readonly { content: SecretContent; label: string; exportRights?: number }[] = [
  { content: { kind: 'bip39', mnemonic: MNEMONIC, passphrase: 'TREZOR', descriptor: DESCRIPTOR }, label: 'Main wallet' },
  { content: { kind: 'password', password: 'correct horse battery staple', login: 'alice', url: 'https://example.org' }, label: 'Mail' },
  { content: { kind: 'descriptor', text: DESCRIPTOR }, label: 'Watch-only', exportRights: 0x02 },
];

/** A client session straight into an emulator (setup and inspection in tests). */
export async function withEmulator<T>(card: CardEmulator, pin: string, work: (client: SatochipClient, store: SeedkeeperClient) => Promise<T>, applet: 'seedkeeper' | 'satochip' = 'seedkeeper'): Promise<T> {
  const transport = new ApduTransport(new InProcessChannel('setup', card));
  const client = new SatochipClient({ send: (command) => transport.send(command) });
  await client.select(applet);
  if (applet === 'satochip') await client.getStatus();
  await client.initSecureChannel();
  if (!client.status?.setupDone) await client.setup({ pin, puk: '12345678' });
  await client.verifyPin(pin);
  return work(client, new SeedkeeperClient(client));
}

export async function seedkeeperWith(label: string, pin: string, secrets: typeof SAMPLE_SECRETS = []): Promise<SeedkeeperEmulator> {
  const card = demoSeedkeeper(label);
  await withEmulator(card, pin, async (_client, store) => {
    for (const secret of secrets) await store.importSecret(secret.content, { label: secret.label, ...(secret.exportRights !== undefined ? { exportRights: secret.exportRights } : {}) });
  });
  return card;
}

export async function freshSatochip(label: string, pin: string): Promise<SatochipEmulator> {
  const card = demoSatochip(label);
  await withEmulator(card, pin, async () => undefined, 'satochip');
  return card;
}

/**
 * The person at the single reader: on "remove" takes the card off, on "present" puts the card
 * for that role on (or a wrong one first, once, when `mistakes` says so).
 */
export function personAt(slots: InProcessSlots, reader: string, cards: Record<string, CardEmulator>, mistakes: Record<string, CardEmulator> = {}): ((prompt: CardPrompt) => void) & { readonly log: string[] } {
  const log: string[] = [];
  const person = (prompt: CardPrompt) => {
    log.push(`${prompt.kind}:${prompt.role}`);
    queueMicrotask(() => {
      if (prompt.kind === 'remove') slots.remove(reader);
      if (prompt.kind === 'present' && !slots.cardOn(reader)) {
        const wrong = mistakes[prompt.role];
        if (wrong) {
          delete mistakes[prompt.role];
          slots.insert(reader, wrong);
        } else slots.insert(reader, cards[prompt.role]!);
      }
    });
  };
  return Object.assign(person, { log });
}
