/** A raw channel straight into an emulator object: no pcscd, no sockets (unit tests, demo mode). */
import { DriverError } from '../errors.ts';
import type { RawChannel } from '../pcsc/transport.ts';
import type { CardEmulator } from './emulator.ts';

export class InProcessChannel implements RawChannel {
  private card: CardEmulator | null;

  constructor(
    readonly readerName: string,
    card: CardEmulator | null,
  ) {
    this.card = card;
  }

  get present(): boolean {
    return this.card !== null;
  }

  /** ATR of the card in this channel, or null when empty. */
  get atr(): Uint8Array | null {
    return this.card?.atr ?? null;
  }

  insert(card: CardEmulator): void {
    card.reset?.();
    this.card = card;
  }

  remove(): void {
    this.card = null;
  }

  async transmit(apdu: Uint8Array, maxResponseLength: number): Promise<Uint8Array> {
    const card = this.card;
    if (!card) throw new DriverError('NO_CARD', 'no card in the reader', { reader: this.readerName });
    const response = await card.process(apdu);
    if (this.card !== card) throw new DriverError('CARD_REMOVED', 'card removed during the command', { reader: this.readerName });
    if (response.length > maxResponseLength) {
      throw new DriverError('TRANSMIT_FAILED', 'response larger than the receive buffer', {
        reader: this.readerName,
        length: response.length,
        maxResponseLength,
      });
    }
    return response;
  }
}
