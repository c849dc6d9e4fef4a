import { afterEach, describe, expect, it } from 'vitest';
import { isDriverError } from '../../drivers/errors.ts';
import { DEMO_READER_NAME, ReaderService } from './readers.ts';

const missingBinding = () => ({ ok: false as const, reason: 'the PC/SC binding (nfc-pcsc) is not installed' });

describe('ReaderService without PC/SC', () => {
  const services: ReaderService[] = [];
  const make = async (options: ConstructorParameters<typeof ReaderService>[0]) => {
    const service = new ReaderService(options);
    services.push(service);
    await service.start();
    return service;
  };
  afterEach(async () => {
    while (services.length) await services.pop()!.close();
  });

  it('reports a missing PC/SC library as a state with the fix, and offers the demo reader', async () => {
    const service = await make({ pcscOptions: { loadBinding: missingBinding } });
    const snapshot = await service.waitFor((s) => s.readers[0]?.card?.status === 'identified', 2000);
    expect(snapshot.service).toBe('unavailable');
    expect(snapshot.hint).toContain('libpcsclite-dev');
    expect(snapshot.readers.map((r) => [r.name, r.kind])).toEqual([[DEMO_READER_NAME, 'demo']]);
    expect(snapshot.readers[0]!.card?.product).toBe('Tapdesk test card');
    expect(service.notices().join(' ')).toMatch(/PC\/SC is unavailable/);
  });

  it('shows no demo reader with demo off', async () => {
    const service = await make({ pcscOptions: { loadBinding: missingBinding }, demo: 'off' });
    expect(service.snapshot().readers).toEqual([]);
  });

  it('increases the revision on every change and only then', async () => {
    const service = await make({ pcsc: false, demo: 'on' });
    const first = service.snapshot().revision;
    const identified = await service.waitFor((s) => s.readers[0]?.card?.status === 'identified', 2000);
    expect(identified.revision).toBeGreaterThan(first);
    await service.identify(DEMO_READER_NAME);
    expect(service.snapshot().revision).toBe(identified.revision);
  });

  it('gives typed errors for an unknown reader', async () => {
    const service = await make({ pcsc: false, demo: 'on' });
    const error = await service.identify('No such reader').catch((e: unknown) => e);
    expect(isDriverError(error, 'NO_READER')).toBe(true);
  });

  it('serialises sessions on one reader', async () => {
    const service = await make({ pcsc: false, demo: 'on' });
    await service.waitFor((s) => s.readers[0]?.card?.status === 'identified', 2000);
    const order: string[] = [];
    const slow = service.withSession(DEMO_READER_NAME, async (session) => {
      order.push('a-start');
      await session.send({ cla: 0x80, ins: 0x16, p1: 0, p2: 50 });
      order.push('a-end');
    });
    const fast = service.withSession(DEMO_READER_NAME, async () => {
      order.push('b');
    });
    await Promise.all([slow, fast]);
    expect(order).toEqual(['a-start', 'a-end', 'b']);
  });

  it('times a whole session out with TIMEOUT', async () => {
    const service = await make({ pcsc: false, demo: 'on' });
    await service.waitFor((s) => s.readers[0]?.card?.status === 'identified', 2000);
    const error = await service
      .withSession(
        DEMO_READER_NAME,
        async (session) => {
          await session.send({ cla: 0x00, ins: 0xa4, p1: 4, p2: 0, data: Uint8Array.from([0xf0, ...new TextEncoder().encode('TAPDESKTEST')]) });
          await session.send({ cla: 0x80, ins: 0x16, p1: 0x01, p2: 0xf4 }); // 500 ms
        },
        { timeoutMs: 100 },
      )
      .catch((e: unknown) => e);
    expect(isDriverError(error, 'TIMEOUT')).toBe(true);
  });
});
