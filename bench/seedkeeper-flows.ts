/**
 * Card-to-card flows (issue 3, "backup of one seed"): APDUs per card against the protocol minimum
 * (main/core/backup/protocol-minimum.ts, one reason per command) and host time excluding the cards.
 *
 * Two emulated cards on two in-process readers, driven by the real flow, card opener and client.
 * Each run starts from fresh cards (set up and filled untimed); host time = the flow's wall time
 * minus the time both emulators spent in process().
 */
import { SatochipRestore } from '../main/core/backup/satochip-restore.ts';
import { CardOpener } from '../main/core/backup/card-opener.ts';
import { type MinimumStep, backupOneSecretMinimum, foldCommands, restoreMinimum } from '../main/core/backup/protocol-minimum.ts';
import { SeedkeeperBackup, readerCardAccess } from '../main/core/backup/seedkeeper-backup.ts';
import { SAMPLE_SECRETS, freshSatochip, seedkeeperWith } from '../main/core/backup/test-support/cards.ts';
import { InProcessSlots } from '../main/core/backup/test-support/in-process-slots.ts';
import { TimedCard, percentile } from './operations.ts';
import { median, round } from './stats.ts';

export interface FlowResult {
  readonly apdus: Record<string, number>;
  readonly expected_minimum: Record<string, number>;
  readonly apdu_breakdown: Record<string, readonly string[]>;
  readonly host_ms_median: number;
  readonly host_ms_p95: number;
  readonly card_ms_median: number;
  readonly runs: number;
  readonly error?: string;
}

const PIN = '1111';
const pin = async () => PIN;

/** Compares what each reader was sent with its minimum; the breakdown lines say why each command is there. */
function check(sent: Record<string, readonly string[]>, minimum: Record<string, readonly MinimumStep[]>): { breakdown: Record<string, string[]>; error?: string } {
  const breakdown: Record<string, string[]> = {};
  const problems: string[] = [];
  for (const [card, steps] of Object.entries(minimum)) {
    const observed = foldCommands(sent[card] ?? []);
    const why = new Map(steps.map((s) => [s.command, s.why]));
    breakdown[card] = observed.map((s) => `${s.command}${s.count > 1 ? ` x${s.count}` : ''}: ${why.get(s.command) ?? 'NOT part of the protocol minimum'}`);
    const same = observed.length === steps.length && observed.every((s, i) => s.command === steps[i]!.command && s.count === steps[i]!.count);
    if (!same) problems.push(`${card}: sent ${observed.map((s) => `${s.command} x${s.count}`).join(', ')}`);
  }
  return problems.length ? { breakdown, error: problems.join('; ') } : { breakdown };
}

async function measure(
  runs: number,
  minimum: Record<string, readonly MinimumStep[]>,
  readers: Record<string, { readonly reader: string; readonly family: 'seedkeeper' | 'satochip' }>,
  once: (slots: InProcessSlots) => Promise<void>,
  prepare: () => Promise<TimedCard[]>,
): Promise<FlowResult> {
  const hostMs: number[] = [];
  const cardMs: number[] = [];
  let sent: Record<string, readonly string[]> = {};
  let error: string | undefined;
  for (let i = 0; i < runs && !error; i += 1) {
    const cards = await prepare();
    const slots = new InProcessSlots(Object.values(readers).map((r) => r.reader));
    Object.values(readers).forEach((r, index) => slots.insert(r.reader, cards[index]!, r.family));
    const started = performance.now();
    try {
      await once(slots);
    } catch (failure) {
      error = failure instanceof Error ? failure.message : String(failure);
      break;
    }
    const wall = performance.now() - started;
    const inCards = cards.reduce((sum, c) => sum + c.cardMs, 0);
    hostMs.push(wall - inCards);
    cardMs.push(inCards);
    sent = Object.fromEntries(Object.entries(readers).map(([card, r]) => [card, slots.sent.get(r.reader) ?? []]));
  }
  const checked = check(sent, minimum);
  error ??= checked.error;
  const count = (steps: readonly MinimumStep[]) => steps.reduce((n, s) => n + s.count, 0);
  return {
    apdus: Object.fromEntries(Object.entries(sent).map(([card, names]) => [card, names.length])),
    expected_minimum: Object.fromEntries(Object.entries(minimum).map(([card, steps]) => [card, count(steps)])),
    apdu_breakdown: checked.breakdown,
    host_ms_median: round(median(hostMs)),
    host_ms_p95: round(percentile(hostMs, 95)),
    card_ms_median: round(median(cardMs)),
    runs: hostMs.length,
    ...(error ? { error } : {}),
  };
}

export async function benchSeedkeeperFlows(runs = 10): Promise<{ method: string; flows: Record<string, FlowResult>; error?: string }> {
  const seed = SAMPLE_SECRETS[0]!; // BIP39 record with a descriptor: 227 bytes, 240 of ciphertext (2 pieces)
  const backup = await measure(
    runs,
    backupOneSecretMinimum(2),
    { master: { reader: 'R0', family: 'seedkeeper' }, backup: { reader: 'R1', family: 'seedkeeper' } },
    async (slots) => {
      const opener = new CardOpener<'master' | 'backup'>(slots, {
        roles: { master: { reader: 'R0', applet: 'seedkeeper', title: 'master' }, backup: { reader: 'R1', applet: 'seedkeeper', title: 'backup' } },
        pin,
      });
      await new SeedkeeperBackup(readerCardAccess(opener)).run();
    },
    async () => [new TimedCard(await seedkeeperWith('bench master', PIN, [seed])), new TimedCard(await seedkeeperWith('bench backup', PIN))],
  );
  const restore = await measure(
    runs,
    restoreMinimum(),
    { seedkeeper: { reader: 'R0', family: 'seedkeeper' }, satochip: { reader: 'R1', family: 'satochip' } },
    async (slots) => {
      const opener = new CardOpener<'seedkeeper' | 'satochip'>(slots, {
        roles: { seedkeeper: { reader: 'R0', applet: 'seedkeeper', title: 'Seedkeeper' }, satochip: { reader: 'R1', applet: 'satochip', title: 'Satochip' } },
        pin,
      });
      await new SatochipRestore(opener).run();
    },
    async () => [new TimedCard(await seedkeeperWith('bench sk', PIN, [seed])), new TimedCard(await freshSatochip('bench sato', PIN))],
  );
  const flows = { backup_one_seed: backup, restore_satochip_from_seedkeeper: restore };
  const problems = Object.entries(flows).filter(([, r]) => r.error).map(([name, r]) => `${name}: ${r.error}`);
  return {
    method:
      'two in-process readers, fresh emulated cards per run (set up untimed); host_ms = wall time of the whole flow (card opener, client, secure channels, codecs, transport) minus the time both emulators spent in process(); apdus per card must equal the protocol minimum in apdu_breakdown',
    flows,
    ...(problems.length ? { error: problems.join('; ') } : {}),
  };
}
