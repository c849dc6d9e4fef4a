/**
 * Host overhead per APDU through the real pcscd: our ApduTransport over the reader manager's
 * channel, minus a bare nfc-pcsc `transmit` of the same APDU to the same card. Both run
 * interleaved against the test card in vpcd reader 0, so drift hits both alike.
 */
import { loadPcscBinding, type NfcPcscReader } from '../drivers/pcsc/binding.ts';
import { PcscReaderManager } from '../drivers/pcsc/reader-manager.ts';
import { ApduTransport } from '../drivers/pcsc/transport.ts';
import { selectCommand } from '../drivers/card.ts';
import { ensurePcscd, insertVirtualCard } from '../drivers/virtual/pcscd-harness.ts';
import { TEST_CARD_AID, TestCard, patternBytes } from '../drivers/virtual/test-card.ts';
import { VPCD_READER_NAMES } from '../drivers/virtual/vpcd.ts';
import { median, round } from './stats.ts';

export interface OverheadResult {
  readonly apdus_per_side: number;
  readonly median_bare_ms: number;
  readonly median_transport_ms: number;
  readonly median_host_overhead_ms: number;
  readonly target_ms: number;
  readonly within_target: boolean;
}

export async function benchPcscOverhead(rounds = 400): Promise<OverheadResult> {
  const pcscd = await ensurePcscd();
  if (!pcscd.running) throw new Error(`pcscd: ${pcscd.problem}`);
  const binding = loadPcscBinding();
  if (!binding.ok) throw new Error(binding.reason);
  const name = VPCD_READER_NAMES[0];

  const manager = new PcscReaderManager();
  await manager.start();
  const card = await insertVirtualCard(new TestCard(), 0);
  await manager.waitFor((s) => Boolean(s.readers.find((r) => r.name === name)?.atr), 5000);

  // A second, bare nfc-pcsc context on the same reader (shared mode).
  const nfc = new binding.module.NFC();
  const bare = await new Promise<NfcPcscReader>((resolve) => {
    nfc.on('reader', (reader) => {
      if (reader.name !== name) return;
      reader.autoProcessing = false;
      reader.on('card', () => resolve(reader));
      reader.on('error', () => undefined);
    });
    nfc.on('error', () => undefined);
  });

  const transport = new ApduTransport(manager.channel(name));
  await transport.send(selectCommand(TEST_CARD_AID));
  const echo = { cla: 0x80, ins: 0x10, p1: 0, p2: 0, data: patternBytes(32), le: 256 } as const;
  const echoBytes = Buffer.from([0x80, 0x10, 0, 0, 32, ...patternBytes(32), 0x00]);

  const ours: number[] = [];
  const baseline: number[] = [];
  for (let i = 0; i < rounds + 20; i += 1) {
    let t = performance.now();
    await bare.transmit(echoBytes, 258);
    const b = performance.now() - t;
    t = performance.now();
    await transport.send(echo);
    const o = performance.now() - t;
    if (i >= 20) {
      baseline.push(b);
      ours.push(o);
    }
  }
  await card.remove();
  await manager.close();
  nfc.removeAllListeners().on('error', () => undefined);
  nfc.close();

  const overhead = median(ours) - median(baseline);
  return {
    apdus_per_side: rounds,
    median_bare_ms: round(median(baseline)),
    median_transport_ms: round(median(ours)),
    median_host_overhead_ms: round(overhead),
    target_ms: 0.3,
    within_target: overhead < 0.3,
  };
}
