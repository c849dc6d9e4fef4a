/**
 * Test support: replays a recorded transcript (../shared/vectors/satochip) against the HOST side.
 * `send` serves the recorded answers in order and fails the test when the client sends a single
 * byte other than the recorded command; `random` serves the recorded `host_random` values in their
 * consumption order (each `host_random_used` index, in file order) and fails on a length mismatch.
 * Steps the client cannot produce (the recorder tampered with the wrapping on purpose) are skipped
 * with `skipTo`, which also drops the host randomness those steps used.
 */
import { type CommandApdu, type ResponseApdu, decodeResponse, encodeCommand, fromHex, toHex } from '../../pcsc/apdu.ts';
import type { RecordedStep } from './vectors.ts';

export { VECTORS_DIR, loadVector, type RecordedStep, type Vector } from './vectors.ts';

export const bytes = (hex: string): Uint8Array => fromHex(hex);
export const hex = (value: Uint8Array): string => toHex(value);

export interface HostRandom {
  readonly index: number;
  readonly purpose: string;
  readonly hex: string;
}

/** Thrown (and remembered) when the client departs from the recording. */
export class ReplayMismatch extends Error {
  override name = 'ReplayMismatch';
}

export class HostReplay {
  private readonly exchanges: RecordedStep[];
  private position = 0;
  private randomQueue: HostRandom[];
  /** Every departure from the recording, even ones the client swallowed. */
  readonly mismatches: string[] = [];
  /** What the client sent, as CommandApdu objects (to check the sensitive flags). */
  readonly sent: CommandApdu[] = [];

  constructor(steps: readonly RecordedStep[], hostRandom: readonly HostRandom[]) {
    this.exchanges = steps.filter((s) => s.command !== undefined);
    this.randomQueue = [...hostRandom].sort((a, b) => a.index - b.index);
  }

  /** The recorded step the next command must match. */
  get nextStep(): RecordedStep | undefined {
    return this.exchanges[this.position];
  }

  readonly send = async (command: CommandApdu): Promise<ResponseApdu> => {
    const step = this.exchanges[this.position];
    const sent = toHex(encodeCommand(command));
    if (!step) return this.fail(`extra command after the end of the recording: ${command.name ?? ''} ${sent}`);
    if (sent !== step.command) {
      return this.fail(`step ${step.step} (${step.name}): sent ${sent}\n  recorded ${step.command}`);
    }
    this.position += 1;
    this.sent.push(command);
    return decodeResponse(fromHex(step.response!));
  };

  /** A `send` for one reader of a multi-reader recording: the next recorded step must be on that reader. */
  sendOn(reader: string): (command: CommandApdu) => Promise<ResponseApdu> {
    return async (command) => {
      const step = this.exchanges[this.position];
      if (step && step.reader !== reader) {
        return this.fail(`step ${step.step} (${step.name}) is on ${step.reader}; the client sent ${command.name ?? ''} on ${reader}`);
      }
      return this.send(command);
    };
  }

  readonly random = (length: number): Uint8Array => {
    const next = this.randomQueue.shift();
    if (!next) return this.fail(`client drew ${length} random bytes; the recording has no more`);
    const value = fromHex(next.hex);
    if (value.length !== length) return this.fail(`client drew ${length} random bytes for host_random[${next.index}] (${next.purpose}), recorded ${value.length}`);
    return value;
  };

  /** Skips recorded steps up to (not including) `step`, and the host randomness they used. */
  skipTo(step: number): RecordedStep[] {
    const skipped: RecordedStep[] = [];
    while (this.exchanges[this.position] && this.exchanges[this.position]!.step < step) {
      const s = this.exchanges[this.position]!;
      skipped.push(s);
      const used = new Set(s.host_random_used ?? []);
      this.randomQueue = this.randomQueue.filter((r) => !used.has(r.index));
      this.position += 1;
    }
    return skipped;
  }

  /** Nothing left unplayed, nothing departed. */
  assertComplete(): void {
    if (this.mismatches.length) throw new ReplayMismatch(this.mismatches.join('\n'));
    const left = this.exchanges.slice(this.position).map((s) => `${s.step} ${s.name}`);
    if (left.length) throw new ReplayMismatch(`recorded steps never sent: ${left.join(', ')}`);
    if (this.randomQueue.length) throw new ReplayMismatch(`host randomness never drawn: ${this.randomQueue.map((r) => r.index).join(', ')}`);
  }

  private fail(message: string): never {
    this.mismatches.push(message);
    throw new ReplayMismatch(message);
  }
}
