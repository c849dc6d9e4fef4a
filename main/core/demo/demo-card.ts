/**
 * The demo card behind the demo reader (DESIGN.md "demo mode"): an emulated Satochip, set up and
 * seeded at start so a newcomer can see balances and sign on the local demo chains right away.
 * Everything about it is public on purpose (PIN, mnemonic): it is labelled as a demo everywhere
 * and must never hold real funds.
 */
import { ApduTransport } from '../../../drivers/pcsc/transport.ts';
import { SatochipClient } from '../../../drivers/satochip/client.ts';
import { SIMULATOR_ATR, type SatochipEmulator, demoSatochip } from '../../../drivers/satochip/emulator/index.ts';
import type { CardEmulator } from '../../../drivers/virtual/emulator.ts';
import { InProcessChannel } from '../../../drivers/virtual/in-process.ts';
import { DEMO_KEYCARD_PIN, demoKeycard } from '../../../drivers/keycard/emulator/demo.ts';

/** Shown next to the demo card: the PIN the approval window asks for. */
export const DEMO_PIN = '1234';
const DEMO_PUK = '12345678';
/** A fixed, public mnemonic (12 words, valid checksum): the demo wallet's addresses never change. */
export const DEMO_MNEMONIC = 'cinnamon pulse giraffe orbit lottery fossil harvest sunset mandate velvet anchor quote';
export const DEMO_CARD_LABEL = 'Tapdesk demo';

export async function createDemoWalletCard(): Promise<SatochipEmulator> {
  const card = demoSatochip('Tapdesk demo wallet card');
  const transport = new ApduTransport(new InProcessChannel('demo setup', card));
  const client = new SatochipClient({ send: (command) => transport.send(command) });
  await client.select('satochip');
  await client.getStatus();
  await client.initSecureChannel();
  await client.setup({ pin: DEMO_PIN, puk: DEMO_PUK });
  await client.verifyPin(DEMO_PIN);
  await client.setLabel(DEMO_CARD_LABEL);
  await client.importSeed(DEMO_MNEMONIC);
  await client.logout();
  card.reset();
  return card;
}

/**
 * The demo card for app start: usable at once (its ATR is known), its setup running in the
 * background; the first APDU waits for it. Keeps the app's start from waiting for the demo seed.
 */
export function deferredDemoWalletCard(): CardEmulator {
  const ready = createDemoWalletCard();
  return {
    atr: SIMULATOR_ATR,
    process: async (apdu) => (await ready).process(apdu),
    reset: () => void ready.then((card) => card.reset()),
  };
}

/** Which card the demo reader holds: the Satochip (default) or a Status Keycard. */
export type DemoCardFamily = 'satochip' | 'keycard';

/** The demo card's PIN, by family (a Keycard PIN is always 6 digits). */
export const DEMO_PINS: Readonly<Record<DemoCardFamily, string>> = { satochip: DEMO_PIN, keycard: DEMO_KEYCARD_PIN };

/**
 * The demo card of `family`: the Keycard one is an emulated Keycard 3.1, initialised (PIN
 * DEMO_PINS.keycard, default pairing password, a duress PIN other than the PIN), holding the same
 * public demo seed, so the demo chains' funding reaches it too; it pairs on first use like a real one.
 */
export function demoWalletCard(family: DemoCardFamily): CardEmulator {
  return family === 'keycard' ? demoKeycard({ label: 'Tapdesk demo Keycard', mnemonic: DEMO_MNEMONIC }) : deferredDemoWalletCard();
}

export function demoCardFamily(value: string | undefined): DemoCardFamily {
  if (value === undefined || value === '' || value === 'satochip') return 'satochip';
  if (value === 'keycard') return 'keycard';
  throw new RangeError(`the demo card is satochip or keycard (got ${JSON.stringify(value)})`);
}
