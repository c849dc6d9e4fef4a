/**
 * `tapdesk readers [--json] [--demo]` (every reader and the card on it) and
 * `tapdesk info --reader NAME [--json] [--demo]` (what the card on one reader is). For a Keycard,
 * info also SELECTs it (1 APDU, no pairing, no PIN): initialised or factory state, instance UID,
 * applet version, free pairing slots, key UID, capabilities, and whether this host keeps a pairing.
 */
import { KeycardClient } from '../../drivers/keycard/client.ts';
import { CAPABILITIES } from '../../drivers/keycard/app-info.ts';
import type { ReadersSnapshot } from '../../preload/contract.ts';
import { hex } from '../core/keycard/open.ts';
import { type CliCommand, type CliContext, type CliIo, EXIT, UsageError, describeCard, describeError, serviceProblem } from './common.ts';
import { cliPairings } from './keycard.ts';

export const readersCommand: CliCommand<null> = {
  usage: ['tapdesk readers [--json] [--demo]'],
  prepare: () => null,
  run: async (_options, { snapshot, json, io }) => printReaders(snapshot, json, io),
};

export const infoCommand: CliCommand<{ readonly reader: string }> = {
  usage: ['tapdesk info --reader NAME [--json] [--demo]'],
  prepare(values) {
    if (!values.reader) throw new UsageError('info needs --reader NAME');
    return { reader: values.reader };
  },
  run: async ({ reader }, context) => printInfo(context.snapshot, reader, context.json, context.io, await keycardFacts(context, reader)),
};

export interface KeycardFacts {
  readonly initialized: boolean;
  readonly instanceUid?: string;
  readonly version?: string;
  readonly freePairingSlots?: number;
  /** Null: no key loaded. */
  readonly keyUid?: string | null;
  readonly capabilities?: string[];
  /** This host's pairing slot with the card, null when none is stored. */
  readonly pairingSlot?: number | null;
}

/** SELECT facts of the Keycard on the reader (null when it holds no Keycard; an error is printed and null). */
async function keycardFacts(context: CliContext, name: string): Promise<KeycardFacts | null> {
  const card = context.snapshot.readers.find((r) => r.name === name)?.card;
  if (card?.status !== 'identified' || card.family !== 'keycard') return null;
  try {
    const select = await context.readers.withSession(name, (session) => new KeycardClient({ send: (command) => session.send(command) }).select());
    if (!select.initialized) return { initialized: false };
    const instanceUid = hex(select.instanceUid);
    return {
      initialized: true,
      instanceUid,
      version: `${select.version.major}.${select.version.minor}`,
      freePairingSlots: select.freePairingSlots,
      keyUid: select.keyUid ? hex(select.keyUid) : null,
      capabilities: Object.entries(CAPABILITIES)
        .filter(([, bit]) => (select.capabilities & bit) !== 0)
        .map(([capability]) => capability),
      pairingSlot: cliPairings(context.io).get(instanceUid)?.index ?? null,
    };
  } catch (error) {
    const lines = describeError(error);
    if (!lines) throw error;
    context.io.err(`could not SELECT the Keycard: ${lines.join(' ')}`);
    return null;
  }
}

function keycardLines(facts: KeycardFacts): string[] {
  if (!facts.initialized) return ['initialized: no (factory state: set it up with tapdesk keycard init)'];
  return [
    'initialized: yes',
    `instance UID: ${facts.instanceUid}`,
    `applet version: ${facts.version}`,
    `free pairing slots: ${facts.freePairingSlots}`,
    `key UID: ${facts.keyUid ?? 'none (no wallet on the card)'}`,
    `capabilities: ${facts.capabilities?.join(', ')}`,
    `paired with this host: ${facts.pairingSlot === null || facts.pairingSlot === undefined ? 'no' : `yes, slot ${facts.pairingSlot}`}`,
  ];
}

function printReaders(snapshot: ReadersSnapshot, json: boolean, io: CliIo): number {
  if (json) {
    io.out(JSON.stringify({ service: snapshot.service, hint: snapshot.hint, readers: snapshot.readers }, null, 2));
    return snapshot.service === 'running' || snapshot.readers.length > 0 ? EXIT.OK : EXIT.NO_PCSC;
  }
  if (serviceProblem(snapshot, io)) return EXIT.NO_PCSC;
  if (snapshot.readers.length === 0) {
    io.out('No reader connected.');
    if (snapshot.hint) io.out(`hint: ${snapshot.hint}`);
    return EXIT.OK;
  }
  for (const reader of snapshot.readers) {
    io.out(`${reader.name}${reader.kind === 'demo' ? ' [demo]' : ''}: ${describeCard(reader.card)}`);
  }
  return EXIT.OK;
}

function printInfo(snapshot: ReadersSnapshot, name: string, json: boolean, io: CliIo, keycard: KeycardFacts | null = null): number {
  const reader = snapshot.readers.find((r) => r.name === name);
  if (!reader) {
    if (serviceProblem(snapshot, io)) return EXIT.NO_PCSC;
    const known = snapshot.readers.map((r) => JSON.stringify(r.name)).join(', ') || 'none';
    io.err(`no reader named ${JSON.stringify(name)} (readers: ${known})`);
    return EXIT.CARD;
  }
  if (!reader.card) {
    if (json) io.out(JSON.stringify({ reader: reader.name, card: null }, null, 2));
    else io.err(`no card in ${JSON.stringify(name)}`);
    return EXIT.CARD;
  }
  const card = reader.card;
  if (json) {
    io.out(JSON.stringify({ reader: reader.name, card, ...(keycard ? { keycard } : {}) }, null, 2));
  } else {
    io.out(`reader:  ${reader.name}`);
    io.out(`card:    ${describeCard(card)}`);
    io.out(`ATR:     ${card.atr}`);
    if (card.aid) io.out(`AID:     ${card.aid}`);
    // A Keycard's SELECT just now says more, and more recently, than the details seen at insertion.
    if (keycard) for (const line of keycardLines(keycard)) io.out(line);
    else for (const [key, value] of Object.entries(card.details ?? {})) io.out(`${key}: ${value}`);
  }
  return card.status === 'error' ? EXIT.CARD : EXIT.OK;
}
