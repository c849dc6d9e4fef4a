/**
 * A card opened for wallet work on a reader, whatever its family: one card session, the PIN
 * verified once (never retried), and the CardSigner the wallets use. Only the Satochip family
 * signs today; the other families answer NOT_SUPPORTED until their drivers arrive.
 */
import { DriverError } from '../../../drivers/errors.ts';
import { SatochipClient } from '../../../drivers/satochip/client.ts';
import { bytesEqual } from '../../../drivers/satochip/bytes.ts';
import type { ReaderService } from '../readers.ts';
import type { SessionOptions } from '../sessions.ts';
import { CardNotUnlockedError } from '../signing/errors.ts';
import { satochipSigner } from './satochip-signer.ts';
import type { CardSigner } from './signer.ts';

export interface OpenedCard {
  readonly signer: CardSigner;
  /** The card's identity: its authentikey (65 bytes, hex). */
  readonly cardId: string;
}

type SessionHost = Pick<ReaderService, 'snapshot' | 'withSession'>;

function satochipOn(readers: SessionHost, reader: string): void {
  const view = readers.snapshot().readers.find((r) => r.name === reader);
  if (!view) throw new DriverError('NO_READER', 'no such reader', { reader });
  if (!view.card) throw new DriverError('NO_CARD', 'no card on the reader', { reader });
  if (view.card.family !== 'satochip') {
    throw new DriverError('BAD_RESPONSE', 'this card cannot sign yet: Tapdesk signs with Satochip cards today', { reader, card: view.card.product ?? view.card.status });
  }
}

/**
 * Runs `work` with the card on `reader` opened and its PIN verified (PIN_INVALID with tries left
 * otherwise). With `expectedCardId`, another card on the reader is refused before `work` runs.
 */
export async function withUnlockedCard<T>(
  readers: SessionHost,
  reader: string,
  pin: string,
  work: (card: OpenedCard) => Promise<T>,
  options: { readonly expectedCardId?: string; readonly session?: SessionOptions } = {},
): Promise<T> {
  satochipOn(readers, reader);
  return readers.withSession(
    reader,
    async (session) => {
      const client = new SatochipClient({ send: (command) => session.send(command) });
      await client.select('satochip');
      await client.getStatus();
      await client.initSecureChannel();
      await client.verifyPin(pin);
      const cardId = Buffer.from(await client.exportAuthentikey()).toString('hex');
      if (options.expectedCardId !== undefined && cardId !== options.expectedCardId) throw new CardNotUnlockedError(reader, 'another card is on the reader now');
      return work({ signer: satochipSigner(client), cardId });
    },
    options.session,
  );
}

/**
 * Which known card is on `reader`, without a PIN: the keys that can have signed a fresh secure
 * channel (a Satochip states no identity before the PIN) matched against `known` card ids.
 */
export async function recogniseCard(readers: SessionHost, reader: string, known: readonly string[]): Promise<string | null> {
  satochipOn(readers, reader);
  if (known.length === 0) return null;
  return readers.withSession(reader, async (session) => {
    const client = new SatochipClient({ send: (command) => session.send(command) });
    await client.select('satochip');
    await client.getStatus();
    const channel = await client.initSecureChannel();
    const candidates = channel.authentikey ? [channel.authentikey] : channel.authentikeyCandidates;
    return known.find((id) => candidates.some((key) => bytesEqual(key, Buffer.from(id, 'hex')))) ?? null;
  });
}

/** How a card is named in approval windows: "Satochip on READER", marked when it is the demo card. */
export function describeCard(readers: Pick<ReaderService, 'snapshot'>, reader: string): string {
  const view = readers.snapshot().readers.find((r) => r.name === reader);
  return `${view?.card?.product ?? 'Card'} on ${reader}${view?.kind === 'demo' ? ' - demo card' : ''}`;
}
