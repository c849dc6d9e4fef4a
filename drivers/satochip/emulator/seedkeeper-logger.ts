/**
 * Port of SK `Logger.java`: a ring of 100 records `ins(1) | id1(2) | id2(2) | sw(2)` (section 7.2,
 * 12). `create` appends, `update` rewrites the newest record (an operation is logged when it starts
 * and completed when it ends); the total count stops at 0x7FFF. Reads go newest first and stop at
 * the head, so an empty log still yields one (all-zero) record, as on the card.
 */
import { u16 } from './bytes.ts';

export const LOG_RECORD_SIZE = 7;

export class SeedkeeperLogger {
  private readonly logs: Uint8Array;
  private head = 0;
  private total = 0;
  private iterator = 0;

  constructor(readonly capacity = 100) {
    this.logs = new Uint8Array(capacity * LOG_RECORD_SIZE);
  }

  create(ins: number, id1: number, id2: number, result: number): void {
    this.set(ins, id1, id2, result);
    this.head = (this.head + LOG_RECORD_SIZE) % this.logs.length;
    if (this.total < 0x7fff) this.total += 1;
  }

  update(ins: number, id1: number, id2: number, result: number): void {
    const next = this.head;
    this.head = this.head >= LOG_RECORD_SIZE ? this.head - LOG_RECORD_SIZE : this.logs.length - LOG_RECORD_SIZE;
    this.set(ins, id1, id2, result);
    this.head = next;
  }

  private set(ins: number, id1: number, id2: number, result: number): void {
    this.logs.set([ins & 0xff, ...u16(id1), ...u16(id2), ...u16(result)], this.head);
  }

  /** `nb_total(2) | capacity(2)` and, when there is one, the newest record (section 14.9). */
  first(): { counts: Uint8Array; record: Uint8Array | null } {
    this.iterator = this.head >= LOG_RECORD_SIZE ? this.head - LOG_RECORD_SIZE : this.logs.length - LOG_RECORD_SIZE;
    return { counts: Uint8Array.of(...u16(this.total), ...u16(this.capacity)), record: this.next() };
  }

  next(): Uint8Array | null {
    if (this.iterator === this.head) return null;
    const record = this.logs.slice(this.iterator, this.iterator + LOG_RECORD_SIZE);
    this.iterator = this.iterator >= LOG_RECORD_SIZE ? this.iterator - LOG_RECORD_SIZE : this.logs.length - LOG_RECORD_SIZE;
    return record;
  }
}
