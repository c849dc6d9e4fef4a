/**
 * Test support: replays a recorded Keycard transcript against the HOST side. `sendOn(card)` serves
 * the recorded answers in order and fails the test when the client sends one byte other than the
 * recorded command (or talks to the wrong card); `randomOn(card)` serves that card's recorded
 * `host_random` values in order and fails on a length mismatch. `tamperNext` lets a test play the
 * part of a faulty reader (the recorded MAC-corruption step).
 */
import { type CommandApdu, type ResponseApdu, decodeResponse, encodeCommand, fromHex, toHex } from '../../pcsc/apdu.ts';
import type { HostRandomEntry, RecordedStep } from './vectors.ts';

export { KEYCARD_VECTORS_DIR, loadKeycardVector, type RecordedStep, type Vector } from './vectors.ts';

export const bytes = (hex: string): Uint8Array => fromHex(hex);
export const hex = (value: Uint8Array): string => toHex(value);

/** Thrown (and remembered) when the client departs from the recording. */
export class ReplayMismatch extends Error {
  override name = 'ReplayMismatch';
}

export class KeycardReplay {
  private readonly steps: readonly RecordedStep[];
  private position = 0;
  private readonly randomQueues = new Map<string, HostRandomEntry[]>();
  /** Every departure from the recording, even ones the client swallowed. */
  readonly mismatches: string[] = [];
  /** What the client sent, in order, as CommandApdu objects. */
  readonly sent: CommandApdu[] = [];
  /** Applied once to the next encoded command before it is compared (a faulty reader). */
  tamperNext: ((encoded: Uint8Array) => Uint8Array) | null = null;

  constructor(steps: readonly RecordedStep[], hostRandom: readonly HostRandomEntry[]) {
    this.steps = steps;
    for (const entry of hostRandom) {
      const queue = this.randomQueues.get(entry.card) ?? [];
      queue.push(entry);
      this.randomQueues.set(entry.card, queue);
    }
  }

  /** The recorded step the next command must match. */
  get nextStep(): RecordedStep | undefined {
    return this.steps[this.position];
  }

  /** The last step played. */
  get lastStep(): RecordedStep | undefined {
    return this.steps[this.position - 1];
  }

  sendOn(card: string): (command: CommandApdu) => Promise<ResponseApdu> {
    return async (command) => {
      const step = this.steps[this.position];
      let encoded = encodeCommand(command);
      if (this.tamperNext) {
        encoded = this.tamperNext(encoded);
        this.tamperNext = null;
      }
      const sent = toHex(encoded);
      if (!step) return this.fail(`extra command after the end of the recording: ${command.name ?? ''} ${sent}`);
      if (step.card !== card) return this.fail(`step ${step.n} (${step.name}) is on card ${step.card}; the client sent ${command.name ?? ''} to card ${card}`);
      if (sent !== step.command) return this.fail(`step ${step.n} (${step.name}): sent ${sent}\n  recorded ${step.command}`);
      this.position += 1;
      this.sent.push(command);
      return decodeResponse(fromHex(step.response));
    };
  }

  randomOn(card: string): (length: number) => Uint8Array {
    return (length) => {
      const next = this.randomQueues.get(card)?.shift();
      if (!next) return this.fail(`card ${card}: client drew ${length} random bytes; the recording has no more`);
      const value = fromHex(next.hex);
      if (value.length !== length) return this.fail(`card ${card}: client drew ${length} random bytes for ${next.label}, recorded ${value.length}`);
      return value;
    };
  }

  /** The label of the next host random value of `card` (to check which one a test draws by hand). */
  nextRandomLabel(card: string): string | undefined {
    return this.randomQueues.get(card)?.[0]?.label;
  }

  /** Fails unless the next recorded step is `n` (keeps the test readable and aligned with the file). */
  expectNext(n: number): void {
    const step = this.nextStep;
    if (!step || step.n !== n) this.fail(`expected to be at step ${n}, the recording is at ${step ? `${step.n} (${step.name})` : 'its end'}`);
  }

  /** Nothing left unplayed, nothing departed, every host random value drawn. */
  assertComplete(): void {
    if (this.mismatches.length) throw new ReplayMismatch(this.mismatches.join('\n'));
    const left = this.steps.slice(this.position).map((s) => `${s.n} ${s.name}`);
    if (left.length) throw new ReplayMismatch(`recorded steps never sent: ${left.join(', ')}`);
    const unused = [...this.randomQueues.values()].flat().map((r) => `${r.card}:${r.label}`);
    if (unused.length) throw new ReplayMismatch(`host randomness never drawn: ${unused.join(', ')}`);
  }

  private fail(message: string): never {
    this.mismatches.push(message);
    throw new ReplayMismatch(message);
  }
}
