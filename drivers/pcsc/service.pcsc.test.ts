/**
 * Tier 2: the PC/SC service itself going away and coming back is a state, not a crash. Needs root
 * (the test stops and starts pcscd); elsewhere it says why it skips.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { canControlPcscd, ensurePcscd, stopPcscd } from '../virtual/pcscd-harness.ts';
import { VPCD_READER_NAMES } from '../virtual/vpcd.ts';
import { PcscReaderManager } from './reader-manager.ts';

if (!canControlPcscd) console.log('SKIP pcscd stop/start test: only root can stop and start pcscd');

describe.skipIf(!canControlPcscd)('pcscd stopped and started while the app runs', () => {
  const manager = new PcscReaderManager({ probeIntervalMs: 200 });

  afterAll(async () => {
    await ensurePcscd();
    await manager.close();
  });

  it('reports not-running with a fix, then running with the readers again', async () => {
    expect((await ensurePcscd()).running).toBe(true);
    await manager.start();
    await manager.waitFor((s) => s.service === 'running' && s.readers.length >= 2, 5000).catch(() => {
      throw new Error(`readers not listed before the stop: ${JSON.stringify(manager.state())}`);
    });

    await stopPcscd();
    const down = await manager.waitFor((s) => s.service === 'not-running', 5000).catch(() => {
      throw new Error(`service not reported down: ${JSON.stringify(manager.state())}`);
    });
    expect(down.readers).toEqual([]);
    expect(down.detail).toMatch(/pcscd/);

    expect((await ensurePcscd()).running).toBe(true);
    const up = await manager.waitFor((s) => s.service === 'running' && s.readers.length >= 2, 10_000).catch(() => {
      throw new Error(`service not back with readers: ${JSON.stringify(manager.state())}`);
    });
    expect(up.readers.map((r) => r.name)).toEqual([...VPCD_READER_NAMES]);
  });
});
