/**
 * A card opened for wallet work on a reader, whatever its family: one card session, the PIN
 * verified once (never retried), and the CardSigner the wallets use. Satochip and Keycard sign;
 * other families are refused with a plain reason until their drivers arrive.
 *
 * A card's identity (`cardId`): a Satochip's authentikey (65 bytes, hex; it states it only after
 * the PIN, recognised without it from the keys that can have signed a fresh channel), a Keycard's
 * instance UID (16 bytes, hex; stated by SELECT, so checked BEFORE the PIN).
 */
import type { CardFamily } from '../../../drivers/card.ts';
import { DriverError } from '../../../drivers/errors.ts';
import { KeycardClient } from '../../../drivers/keycard/client.ts';
import { SatochipClient } from '../../../drivers/satochip/client.ts';
import { bytesEqual } from '../../../drivers/satochip/bytes.ts';
import type { ReaderService } from '../readers.ts';
import type { SessionOptions } from '../sessions.ts';
import { CardNotUnlockedError } from '../signing/errors.ts';
import { keycardPairings } from '../keycard/app-pairings.ts';
import { hex, openKeycard, selectInitialized } from '../keycard/open.ts';
import { keycardSigner } from './keycard-signer.ts';
import { satochipSigner } from './satochip-signer.ts';
import type { CardSigner } from './signer.ts';

export interface OpenedCard {
  readonly signer: CardSigner;
  /** The card's identity (see the module comment). */
  readonly cardId: string;
}

type SessionHost = Pick<ReaderService, 'snapshot' | 'withSession'>;

type SigningFamily = Extract<CardFamily, 'satochip' | 'keycard'>;

function signingFamilyOn(readers: SessionHost, reader: string): SigningFamily {
  const view = readers.snapshot().readers.find((r) => r.name === reader);
  if (!view) throw new DriverError('NO_READER', 'no such reader', { reader });
  if (!view.card) throw new DriverError('NO_CARD', 'no card on the reader', { reader });
  const family = view.card.family;
  if (family !== 'satochip' && family !== 'keycard') {
    throw new DriverError('BAD_RESPONSE', 'this card cannot sign yet: Tapdesk signs with Satochip and Keycard cards today', { reader, card: view.card.product ?? view.card.status });
  }
  return family;
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
  const family = signingFamilyOn(readers, reader);
  const anotherCard = () => new CardNotUnlockedError(reader, 'another card is on the reader now');
  return readers.withSession(
    reader,
    async (session) => {
      const send = (command: Parameters<typeof session.send>[0]) => session.send(command);
      if (family === 'keycard') {
        const client = new KeycardClient({ send });
        const opened = await openKeycard(client, {
          pairings: keycardPairings(),
          accept: (select) => {
            if (options.expectedCardId !== undefined && hex(select.instanceUid) !== options.expectedCardId) throw anotherCard();
          },
        });
        await client.verifyPin(pin);
        return work({ signer: keycardSigner(client), cardId: opened.instanceUid });
      }
      const client = new SatochipClient({ send });
      await client.select('satochip');
      await client.getStatus();
      await client.initSecureChannel();
      await client.verifyPin(pin);
      const cardId = Buffer.from(await client.exportAuthentikey()).toString('hex');
      if (options.expectedCardId !== undefined && cardId !== options.expectedCardId) throw anotherCard();
      return work({ signer: satochipSigner(client), cardId });
    },
    options.session,
  );
}

/**
 * Which known card is on `reader`, without a PIN: a Keycard's instance UID from SELECT; for a
 * Satochip (no identity before the PIN) the keys that can have signed a fresh secure channel,
 * matched against `known` card ids.
 */
export async function recogniseCard(readers: SessionHost, reader: string, known: readonly string[]): Promise<string | null> {
  const family = signingFamilyOn(readers, reader);
  if (known.length === 0) return null;
  return readers.withSession(reader, async (session) => {
    const send = (command: Parameters<typeof session.send>[0]) => session.send(command);
    if (family === 'keycard') {
      const uid = hex((await selectInitialized(new KeycardClient({ send }))).instanceUid);
      return known.includes(uid) ? uid : null;
    }
    const client = new SatochipClient({ send });
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
