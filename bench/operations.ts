/**
 * Measuring card operations for the benchmarks: the APDU count against the protocol minimum
 * (command by command, each with the reason it is needed) and the host time, i.e. the wall time
 * minus the time the card emulator spent on its APDUs (TimedCard). Shared by the Satochip and
 * Keycard operation benchmarks.
 */
import type { CardEmulator } from '../drivers/virtual/emulator.ts';
import { foldCommands } from '../main/core/backup/protocol-minimum.ts';
import { median, round } from './stats.ts';

/** One command of the protocol minimum: the name the client gives it, how many, and why it is needed. */
export interface MinimumStep {
  readonly command: string;
  readonly count: number;
  readonly why: string;
}

/** The card, with a clock around each APDU it processes. */
export class TimedCard implements CardEmulator {
  apdus = 0;
  cardMs = 0;

  constructor(private readonly inner: CardEmulator) {}

  get atr(): Uint8Array {
    return this.inner.atr;
  }

  process(apdu: Uint8Array): Uint8Array | Promise<Uint8Array> {
    const started = performance.now();
    const answer = this.inner.process(apdu);
    const done = (response: Uint8Array) => {
      this.cardMs += performance.now() - started;
      this.apdus += 1;
      return response;
    };
    return answer instanceof Promise ? answer.then(done) : done(answer);
  }

  reset(): void {
    this.inner.reset?.();
  }
}

export interface Operation {
  readonly name: string;
  readonly minimum: readonly MinimumStep[];
  /** Untimed, before each run. */
  readonly prepare?: () => Promise<void>;
  readonly run: () => Promise<void>;
}

export interface OperationResult {
  readonly apdus: number;
  readonly expected_minimum: number;
  readonly apdu_breakdown: readonly string[];
  readonly host_ms_median: number;
  readonly host_ms_p95: number;
  readonly card_ms_median: number;
  readonly runs: number;
  readonly error?: string;
}

export interface OperationsResult {
  readonly method: string;
  readonly card: string;
  readonly operations: Record<string, OperationResult>;
  readonly error?: string;
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

const sameSequence = (a: readonly { command: string; count: number }[], b: readonly { command: string; count: number }[]) =>
  a.length === b.length && a.every((step, i) => step.command === b[i]!.command && step.count === b[i]!.count);

/**
 * Runs each operation `warmup + runs` times on `card`, the commands the client hands to the
 * transport being collected in `sent` (by name). An operation whose sequence is not exactly its
 * protocol minimum, or changes between runs, carries an `error`.
 */
export async function measureOperations(
  operations: readonly Operation[],
  card: TimedCard,
  sent: string[],
  runs: number,
  warmup: number,
): Promise<{ readonly results: Record<string, OperationResult>; readonly problems: readonly string[] }> {
  const results: Record<string, OperationResult> = {};
  const problems: string[] = [];
  for (const op of operations) {
    const hostMs: number[] = [];
    const cardMs: number[] = [];
    let observed: { command: string; count: number }[] = [];
    let cardApdus = 0;
    let error: string | undefined;
    for (let i = 0; i < warmup + runs && !error; i += 1) {
      let wall: number;
      try {
        await op.prepare?.();
        sent.length = 0;
        card.apdus = 0;
        card.cardMs = 0;
        const started = performance.now();
        await op.run();
        wall = performance.now() - started;
      } catch (failure) {
        error = failure instanceof Error ? failure.message : String(failure);
        break;
      }
      const sequence = foldCommands(sent);
      if (i === 0) {
        observed = sequence;
        cardApdus = card.apdus;
      } else if (!sameSequence(sequence, observed) || card.apdus !== cardApdus) {
        error = `APDU sequence changed between runs: ${sequence.map((s) => `${s.command} x${s.count}`).join(', ')}`;
      }
      if (card.apdus !== sent.length) error = `${sent.length} commands sent but ${card.apdus} APDUs reached the card`;
      if (i >= warmup) {
        hostMs.push(wall - card.cardMs);
        cardMs.push(card.cardMs);
      }
    }
    const expected = op.minimum.reduce((n, step) => n + step.count, 0);
    const why = new Map(op.minimum.map((step) => [step.command, step.why]));
    const breakdown = observed.map((s) => `${s.command}${s.count > 1 ? ` x${s.count}` : ''}: ${why.get(s.command) ?? 'NOT part of the protocol minimum'}`);
    if (!error && (cardApdus !== expected || !sameSequence(observed, op.minimum))) {
      const extra = observed.filter((s) => !why.has(s.command)).map((s) => s.command);
      error = `${cardApdus} APDUs, protocol minimum ${expected}${extra.length ? ` (not needed: ${extra.join(', ')})` : ''}; expected ${op.minimum.map((s) => `${s.command} x${s.count}`).join(', ')}`;
    }
    if (error) problems.push(`${op.name}: ${error}`);
    results[op.name] = {
      apdus: cardApdus,
      expected_minimum: expected,
      apdu_breakdown: breakdown,
      host_ms_median: round(median(hostMs)),
      host_ms_p95: round(percentile(hostMs, 95)),
      card_ms_median: round(median(cardMs)),
      runs: hostMs.length,
      ...(error ? { error } : {}),
    };
  }
  return { results, problems };
}
