/**
 * The `tapdesk` command line, over the same core as the app.
 *
 *   tapdesk readers [--json] [--demo]
 *   tapdesk info --reader NAME [--json] [--demo]
 *   tapdesk attest --reader NAME [--trust-root PEMFILE] [--json]
 *
 * PINs come from the TAPDESK_PIN environment variable or a hidden prompt, never from argv.
 * Exit status: 0 done (attest: genuine); 1 the reader or card is not there / card error; 2 usage;
 * 3 PC/SC not usable; 4 attest: a test card (chains only to --trust-root); 5 attest: NOT genuine.
 */
import { parseArgs } from 'node:util';
import type { CardView, ReadersSnapshot } from '../preload/contract.ts';
import { readFile } from 'node:fs/promises';
import { attestOnReader, certificatesFromPem } from './core/attestation.ts';
import { ReaderService } from './core/readers.ts';
import { toBridgeError } from './ipc/errors.ts';

const USAGE = `usage:
  tapdesk readers [--json] [--demo]
  tapdesk info --reader NAME [--json] [--demo]
  tapdesk attest --reader NAME [--trust-root PEMFILE] [--json]   (PIN: TAPDESK_PIN or prompt)`;

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** Environment (TAPDESK_PIN). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Ask for a secret without echo; absent when there is no terminal. */
  readonly promptSecret?: (question: string) => Promise<string>;
}

export async function runCli(argv: readonly string[], io: CliIo, service?: ReaderService): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        reader: { type: 'string' },
        demo: { type: 'boolean', default: false },
        wait: { type: 'string', default: '1500' },
        'trust-root': { type: 'string' },
      },
    });
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  const { positionals, values } = parsed;
  const command = positionals[0];
  if (command !== 'readers' && command !== 'info' && command !== 'attest') {
    io.err(USAGE);
    return 2;
  }
  if ((command === 'info' || command === 'attest') && !values.reader) {
    io.err(`${command} needs --reader NAME\n${USAGE}`);
    return 2;
  }
  let extraTrust: Uint8Array[] | undefined;
  if (values['trust-root']) {
    try {
      extraTrust = certificatesFromPem(await readFile(values['trust-root'], 'utf8'));
    } catch (error) {
      io.err(`cannot read --trust-root ${values['trust-root']}: ${error instanceof Error ? error.message : String(error)}`);
      return 2;
    }
    if (extraTrust.length === 0) {
      io.err(`--trust-root ${values['trust-root']} holds no PEM certificate`);
      return 2;
    }
  }
  let pin: string | undefined;
  if (command === 'attest') {
    pin = io.env?.TAPDESK_PIN ?? (io.promptSecret ? await io.promptSecret('Card PIN: ') : undefined);
    if (!pin) {
      io.err('attest needs the card PIN: set TAPDESK_PIN or run it in a terminal to be asked (never on the command line)');
      return 2;
    }
  }
  const readers = service ?? new ReaderService({ demo: values.demo ? 'on' : 'off' });
  if (!service) await readers.start();
  try {
    const snapshot = await settle(readers, Number(values.wait) || 1500);
    if (command === 'readers') return printReaders(snapshot, values.json, io);
    if (command === 'info') return printInfo(snapshot, values.reader!, values.json, io);
    const result = await attestOnReader(readers, { reader: values.reader!, pin: pin!, ...(extraTrust ? { extraTrust } : {}) });
    if (values.json) io.out(JSON.stringify(result, null, 2));
    else {
      io.out(`${result.product} on ${result.reader}: ${result.report.verdict.toUpperCase()}`);
      for (const check of result.report.checks) io.out(`  [${check.result}] ${check.label}: ${check.detail}`);
      for (const link of result.report.chain) io.out(`  ${link.role}: ${link.subject} (${link.source}, sha256 ${link.sha256Fingerprint.slice(0, 16)}...)`);
    }
    return result.report.verdict === 'genuine' ? 0 : result.report.verdict === 'test' ? 4 : 5;
  } finally {
    if (!service) await readers.close();
  }
}

/** Let readers enumerate, cards be seen (status comes after the reader list) and finish identifying. */
async function settle(readers: ReaderService, waitMs: number): Promise<ReadersSnapshot> {
  await readers.waitFor((s) => s.service !== 'starting', waitMs).catch(() => undefined);
  if (readers.snapshot().service === 'running') {
    await readers.waitFor((s) => s.readers.some((r) => r.kind === 'pcsc'), Math.min(waitMs, 800)).catch(() => undefined);
    await quiet(readers, 400, waitMs);
  }
  await readers.waitFor((s) => s.readers.every((r) => r.card?.status !== 'identifying'), 15_000).catch(() => undefined);
  return readers.snapshot();
}

/** Resolve once no change has come for `quietMs` (at most `maxMs`). */
function quiet(readers: ReaderService, quietMs: number, maxMs: number): Promise<void> {
  return new Promise((resolve) => {
    let timer = setTimeout(done, quietMs);
    const limit = setTimeout(done, maxMs);
    const off = readers.onChange(() => {
      clearTimeout(timer);
      timer = setTimeout(done, quietMs);
    });
    function done(): void {
      clearTimeout(timer);
      clearTimeout(limit);
      off();
      resolve();
    }
  });
}

function serviceProblem(snapshot: ReadersSnapshot, io: CliIo): boolean {
  if (snapshot.service === 'running') return false;
  if (snapshot.readers.length > 0) return false; // demo reader only
  io.err(snapshot.service === 'not-running' ? 'PC/SC service is not running.' : 'PC/SC is unavailable.');
  if (snapshot.hint) io.err(`hint: ${snapshot.hint}`);
  return true;
}

function describeCard(card: CardView | null): string {
  if (!card) return 'no card';
  switch (card.status) {
    case 'identified':
      return `${card.product} (${card.family})`;
    case 'unknown':
      return `unknown card, ATR ${card.atr}`;
    case 'identifying':
      return 'identifying...';
    case 'error':
      return `error: ${card.error?.message ?? 'unknown'}`;
  }
}

function printReaders(snapshot: ReadersSnapshot, json: boolean, io: CliIo): number {
  if (json) {
    io.out(JSON.stringify({ service: snapshot.service, hint: snapshot.hint, readers: snapshot.readers }, null, 2));
    return snapshot.service === 'running' || snapshot.readers.length > 0 ? 0 : 3;
  }
  if (serviceProblem(snapshot, io)) return 3;
  if (snapshot.readers.length === 0) {
    io.out('No reader connected.');
    if (snapshot.hint) io.out(`hint: ${snapshot.hint}`);
    return 0;
  }
  for (const reader of snapshot.readers) {
    io.out(`${reader.name}${reader.kind === 'demo' ? ' [demo]' : ''}: ${describeCard(reader.card)}`);
  }
  return 0;
}

function printInfo(snapshot: ReadersSnapshot, name: string, json: boolean, io: CliIo): number {
  const reader = snapshot.readers.find((r) => r.name === name);
  if (!reader) {
    if (serviceProblem(snapshot, io)) return 3;
    const known = snapshot.readers.map((r) => JSON.stringify(r.name)).join(', ') || 'none';
    io.err(`no reader named ${JSON.stringify(name)} (readers: ${known})`);
    return 1;
  }
  if (!reader.card) {
    if (json) io.out(JSON.stringify({ reader: reader.name, card: null }, null, 2));
    else io.err(`no card in ${JSON.stringify(name)}`);
    return 1;
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
  return card.status === 'error' ? 1 : 0;
}

// Run when this file is the program (bin/tapdesk.js imports it and calls main()).
export async function main(): Promise<void> {
  try {
    process.exitCode = await runCli(process.argv.slice(2), {
      out: (line) => console.log(line),
      err: (line) => console.error(line),
      env: process.env,
      ...(process.stdin.isTTY ? { promptSecret: promptHidden } : {}),
    });
  } catch (error) {
    const bridge = toBridgeError(error);
    console.error(`error: ${bridge.message}${bridge.hint ? `\nhint: ${bridge.hint}` : ''}`);
    process.exitCode = 1;
  }
}

/** Read a line from the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  return new Promise((resolve) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    let value = '';
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.removeListener('data', onData);
          process.stderr.write('\n');
          resolve(value);
          return;
        }
        if (char === '\u0003') process.exit(130);
        if (char === '\u007f') value = value.slice(0, -1);
        else value += char;
      }
    };
    stdin.on('data', onData);
  });
}
