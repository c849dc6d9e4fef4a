/**
 * Tier 2 for the core and the `tapdesk` command: cards on the real pcscd are identified as soon as
 * they are inserted, and the CLI reports them; the PC/SC service going away and coming back is a
 * state, not a crash.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePcscd, insertVirtualCard } from '../../drivers/virtual/pcscd-harness.ts';
import { TestCard } from '../../drivers/virtual/test-card.ts';
import { VPCD_READER_NAMES } from '../../drivers/virtual/vpcd.ts';
import { ensureBuilt, ROOT } from '../../e2e/support/browser-app.ts';
import { ReaderService } from './readers.ts';

const run = promisify(execFile);
const [READER_0, READER_1] = VPCD_READER_NAMES;
const TAPDESK = path.join(ROOT, 'bin', 'tapdesk.js');

describe('core reader service and CLI on pcscd', () => {
  let service: ReaderService;

  beforeAll(async () => {
    const pcscd = await ensurePcscd();
    if (!pcscd.running) throw new Error(`pcscd is needed: ${pcscd.problem}`);
    ensureBuilt();
    service = new ReaderService({ demo: 'auto' });
    await service.start();
    await service.waitFor((s) => s.readers.filter((r) => r.kind === 'pcsc').length >= 2, 5000);
  });

  afterAll(async () => {
    await service?.close();
  });

  it('hides the demo reader while real readers exist', () => {
    const names = service.snapshot().readers.map((r) => r.name);
    expect(names).toEqual([READER_0, READER_1]);
  });

  it('identifies an inserted card and reports it through `tapdesk info --json`', async () => {
    const emulator = new TestCard({ serial: 'cli' });
    const card = await insertVirtualCard(emulator, 1);
    try {
      const snapshot = await service.waitFor((s) => s.readers.find((r) => r.name === READER_1)?.card?.status === 'identified', 5000);
      expect(snapshot.readers.find((r) => r.name === READER_1)?.card?.product).toBe('Tapdesk test card');

      const { stdout } = await run(process.execPath, [TAPDESK, 'info', '--reader', READER_1, '--json']);
      const info = JSON.parse(stdout) as { reader: string; card: { status: string; product: string; atr: string } };
      expect(info.reader).toBe(READER_1);
      expect(info.card.status).toBe('identified');
      expect(info.card.product).toBe('Tapdesk test card');
      expect(info.card.atr).toBe(Buffer.from(emulator.atr).toString('hex'));

      const readers = await run(process.execPath, [TAPDESK, 'readers']);
      expect(readers.stdout).toContain(`${READER_0}: no card`);
      expect(readers.stdout).toContain(`${READER_1}: Tapdesk test card (test)`);
    } finally {
      await card.remove();
    }
  });

  it('exits 1 with the reader list for an unknown reader', async () => {
    const error = (await run(process.execPath, [TAPDESK, 'info', '--reader', 'Nope 00 00']).catch((e: unknown) => e)) as {
      code: number;
      stderr: string;
    };
    expect(error.code).toBe(1);
    expect(error.stderr).toContain(READER_0);
  });
});
