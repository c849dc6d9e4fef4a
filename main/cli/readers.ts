/**
 * `tapdesk readers [--json] [--demo]` (every reader and the card on it) and
 * `tapdesk info --reader NAME [--json] [--demo]` (what the card on one reader is).
 */
import type { ReadersSnapshot } from '../../preload/contract.ts';
import { type CliCommand, type CliIo, EXIT, UsageError, describeCard, serviceProblem } from './common.ts';

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
  run: async ({ reader }, { snapshot, json, io }) => printInfo(snapshot, reader, json, io),
};

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

function printInfo(snapshot: ReadersSnapshot, name: string, json: boolean, io: CliIo): number {
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
    io.out(JSON.stringify({ reader: reader.name, card }, null, 2));
  } else {
    io.out(`reader:  ${reader.name}`);
    io.out(`card:    ${describeCard(card)}`);
    io.out(`ATR:     ${card.atr}`);
    if (card.aid) io.out(`AID:     ${card.aid}`);
    for (const [key, value] of Object.entries(card.details ?? {})) io.out(`${key}: ${value}`);
  }
  return card.status === 'error' ? EXIT.CARD : EXIT.OK;
}
