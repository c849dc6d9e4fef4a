/**
 * Test support for the pcsc tier: the app's ReaderService over the real pcscd (started if needed,
 * root only), with emulated cards put into and taken out of the two vpcd readers, waiting each
 * time until the service has seen the change (vpcd is polled: a card swapped faster than that can
 * leave a stale connection).
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { CardEmulator } from '../../../drivers/virtual/emulator.ts';
import { ensurePcscd, insertVirtualCard } from '../../../drivers/virtual/pcscd-harness.ts';
import { VPCD_READER_NAMES, type VpcdCard } from '../../../drivers/virtual/vpcd.ts';
import { ReaderService } from '../readers.ts';

export interface VpcdReaders {
  readonly readers: ReaderService;
  /** Puts `card` into `reader` (one of VPCD_READER_NAMES) and waits until it is identified. */
  insert(reader: string, card: CardEmulator): Promise<void>;
  /** Takes the card out of `reader` and waits until the service sees the reader empty. */
  remove(reader: string): Promise<void>;
  /** The card is gone at once (mid-command pulls): no wait. */
  yank(reader: string): void;
  has(reader: string): boolean;
  removeAll(): Promise<void>;
  /** For afterEach: prints the last APDUs when the test failed, then takes every card out. */
  afterTest(context: { readonly task: { readonly result?: { readonly state?: string } } }): Promise<void>;
  close(): Promise<void>;
}

export async function startVpcdReaders(): Promise<VpcdReaders> {
  const pcscd = await ensurePcscd();
  if (!pcscd.running) throw new Error(`pcscd is needed: ${pcscd.problem}`);
  const readers = new ReaderService({ demo: 'off' });
  await readers.start();
  await readers.waitFor((s) => s.readers.length >= 2, 5000);
  const inserted = new Map<string, VpcdCard>();
  const cardOn = (reader: string) => readers.snapshot().readers.find((r) => r.name === reader)?.card;
  const remove = async (reader: string) => {
    await inserted.get(reader)?.remove();
    inserted.delete(reader);
    await readers.waitFor(() => cardOn(reader) === null, 10_000);
  };
  return {
    readers,
    async insert(reader, card) {
      const slot = VPCD_READER_NAMES.indexOf(reader as (typeof VPCD_READER_NAMES)[number]);
      if (slot !== 0 && slot !== 1) throw new Error(`not a vpcd reader: ${reader}`);
      inserted.set(reader, await insertVirtualCard(card, slot));
      await readers.waitFor(() => cardOn(reader)?.status === 'identified', 10_000);
    },
    remove,
    yank(reader) {
      void inserted.get(reader)?.remove();
    },
    has: (reader) => inserted.has(reader),
    async removeAll() {
      for (const reader of [...inserted.keys()]) await remove(reader);
    },
    async afterTest(context) {
      if (context.task.result?.state === 'fail') console.error(readers.apduLog.list().slice(-6).map((e) => `${e.direction} ${e.name ?? ''} ${e.text.slice(0, 80)}`).join('\n'));
      for (const reader of [...inserted.keys()]) await remove(reader);
    },
    close: () => readers.close(),
  };
}

/**
 * For a test file (or describe block): starts the readers before its tests, takes every card out
 * after each test (printing the last APDUs of a failed one), closes them at the end. The handle
 * is usable from the first test on.
 */
export function useVpcdReaders(): VpcdReaders {
  let started: VpcdReaders | null = null;
  const current = (): VpcdReaders => {
    if (!started) throw new Error('the vpcd readers are not started yet (use them inside tests)');
    return started;
  };
  beforeAll(async () => {
    started = await startVpcdReaders();
  });
  afterEach((context) => current().afterTest(context));
  afterAll(async () => {
    await started?.close();
  });
  return {
    get readers() {
      return current().readers;
    },
    insert: (reader, card) => current().insert(reader, card),
    remove: (reader) => current().remove(reader),
    yank: (reader) => current().yank(reader),
    has: (reader) => current().has(reader),
    removeAll: () => current().removeAll(),
    afterTest: (context) => current().afterTest(context),
    close: () => current().close(),
  };
}
