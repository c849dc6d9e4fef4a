/**
 * One Satochip card session for the single-card commands (xpub, sign-digest): the reader must hold
 * an identified Satochip; SELECT, GET STATUS, secure channel, VERIFY PIN (once, never retried), then
 * the work.
 */
import { SatochipClient } from '../../drivers/satochip/client.ts';
import { parseBip32Path } from '../../drivers/satochip/bip32-path.ts';
import { isSatochipError } from '../../drivers/satochip/errors.ts';
import { type CliContext, type CliIo, CliFailure, EXIT, UsageError, describeCard, readPin, requireReader, wrongPinFailure } from './common.ts';

export const SATOCHIP_PIN_ENV = 'TAPDESK_PIN';

export async function satochipPin(io: CliIo, command: string): Promise<string> {
  return readPin(io, SATOCHIP_PIN_ENV, 'Satochip PIN: ', command);
}

/** --reader and --path, checked before any card is touched. */
export function readerAndPath(values: { readonly reader?: string | undefined; readonly path?: string | undefined }, command: string): { reader: string; path: string } {
  if (!values.reader) throw new UsageError(`${command} needs --reader NAME`);
  if (!values.path) throw new UsageError(`${command} needs --path PATH (e.g. m/84'/0'/0')`);
  try {
    parseBip32Path(values.path);
  } catch (error) {
    if (isSatochipError(error, 'INVALID_ARGUMENT')) throw new UsageError(`bad --path ${JSON.stringify(values.path)}: ${error.message}`);
    throw error;
  }
  return { reader: values.reader, path: values.path };
}

/** `pin`: the PIN, or how to get it once the card is known to be a Satochip (before anything is sent). */
export async function withSatochip<T>(context: CliContext, readerName: string, pin: string | (() => Promise<string>), work: (client: SatochipClient) => Promise<T>): Promise<T> {
  const reader = requireReader(context.snapshot, readerName, context.io);
  if (!reader.card) throw new CliFailure(EXIT.CARD, `no card in ${JSON.stringify(readerName)}`);
  if (reader.card.status !== 'identified' || reader.card.family !== 'satochip') {
    throw new CliFailure(EXIT.CARD, `this needs a Satochip on ${JSON.stringify(readerName)}; the card there is: ${describeCard(reader.card)}`);
  }
  const pinValue = typeof pin === 'string' ? pin : await pin();
  return context.readers.withSession(readerName, async (session) => {
    const client = new SatochipClient({ send: (command) => session.send(command) });
    await client.select('satochip');
    await client.getStatus();
    await client.initSecureChannel();
    try {
      await client.verifyPin(pinValue);
    } catch (error) {
      throw wrongPinFailure(error, 'Satochip', SATOCHIP_PIN_ENV) ?? error;
    }
    return work(client);
  });
}
