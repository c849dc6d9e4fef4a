/**
 * Test support: a ReaderService with no PC/SC and only the demo reader, holding `card`, started and
 * returned once the card in it is identified (the state every in-process signing test starts from).
 */
import type { CardEmulator } from '../../../drivers/virtual/emulator.ts';
import { ReaderService } from '../readers.ts';

export async function demoReaders(card: CardEmulator): Promise<ReaderService> {
  const readers = new ReaderService({ pcsc: false, demo: 'on', demoCard: () => card });
  await readers.start();
  await readers.waitFor((s) => s.readers[0]?.card?.status === 'identified', 5000);
  return readers;
}
