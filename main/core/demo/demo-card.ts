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
