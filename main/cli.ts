/**
 * The `tapdesk` command line, over the same core as the app. This file parses argv and dispatches;
 * each command lives in main/cli/<command>.ts.
 *
 *   tapdesk readers [--json] [--demo]
 *   tapdesk info --reader NAME [--json] [--demo]                                             (a Keycard: SELECT facts, no PIN)
 *   tapdesk attest --reader NAME [--trust-root PEMFILE] [--trust-key HEXFILE] [--json]       (Satochip, Seedkeeper, Keycard)
 *   tapdesk xpub --reader NAME --path PATH [--version xpub|ypub|zpub|tpub|vpub] [--json]     (Satochip, Keycard)
 *   tapdesk sign-digest --reader NAME --path PATH --hex 64HEX [--json]                       (Satochip, Keycard)
 *   tapdesk backup --from READER --to READER [--json] | --swap --reader READER              (Seedkeeper -> Seedkeeper)
 *   tapdesk backup --new-wallet (--from READER --to READER | --swap --reader READER) [--no-show] [--replace] [--setup-new] [--words N] [--json]
 *                                                                                             (a new wallet on two Keycards)
 *   tapdesk restore-satochip --from READER --to READER [--sid N] [--json] | --swap --reader READER
 *   tapdesk keycard init --reader NAME [--pin-tries N] [--puk-tries N] [--json]
 *   tapdesk keycard pair --reader NAME [--json]
 *   tapdesk keycard unpair --reader NAME [--index N] [--json]
 *   tapdesk keycard change-pin --reader NAME [--puk] [--json]
 *   tapdesk keycard unblock-pin --reader NAME [--json]
 *   tapdesk keycard status --reader NAME [--json]
 *
 * Secrets never come from argv: TAPDESK_PIN (the Satochip/Seedkeeper/Keycard of attest, xpub,
 * sign-digest, keycard *; the master Seedkeeper of backup; the first Keycard of backup --new-wallet;
 * the Seedkeeper of restore-satochip), TAPDESK_BACKUP_PIN (the backup Seedkeeper / Keycard),
 * TAPDESK_SATOCHIP_PIN (the Satochip of restore-satochip), TAPDESK_PUK, TAPDESK_NEW_PIN,
 * TAPDESK_NEW_PUK, TAPDESK_PAIRING_PASSWORD (Keycard), else a hidden prompt; attest on a Keycard
 * needs no PIN. A Keycard pairing is stored per card in keycard-pairings.json in the config folder
 * (TAPDESK_CONFIG_DIR) and reused: a card is paired once (with TAPDESK_PAIRING_PASSWORD, else the
 * factory default), `keycard pair` replaces it, `keycard unpair` frees it.
 * The card-to-card commands ask each PIN once, when its card is first opened, and resume by
 * themselves when a card is pulled mid-step (at most 5 times); a wrong PIN is never retried.
 *
 * Exit status: 0 done (attest: genuine); 1 the reader or card is not there / card or flow error
 * (wrong PIN with the tries left, wrong card, card pulled too often); 2 usage (bad arguments, no
 * way to get a PIN; nothing was sent to a card); 3 PC/SC not usable; 4 attest: a test card (chains
 * only to --trust-root, or a Keycard certified only by a --trust-key CA); 5 attest: NOT genuine.
 */
import { deferredDemoWalletCard } from './core/demo/demo-card.ts';
import { parseArgs } from 'node:util';
import type { ReadersSnapshot } from '../preload/contract.ts';
import { ReaderService } from './core/readers.ts';
import { toBridgeError } from './ipc/errors.ts';
import { attestCommand } from './cli/attest.ts';
import { backupCommand } from './cli/backup.ts';
import { type CliCommand, type CliIo, type CliReaders, type CliValues, EXIT, UsageError, describeError, reportError } from './cli/common.ts';
import { KEYCARD_COMMANDS } from './cli/keycard-commands.ts';
import { infoCommand, readersCommand } from './cli/readers.ts';
import { restoreSatochipCommand } from './cli/restore-satochip.ts';
import { signDigestCommand } from './cli/sign-digest.ts';
import { xpubCommand } from './cli/xpub.ts';

export type { CliIo, CliReaders } from './cli/common.ts';

/** Every command, in the order of the usage text. */
const COMMANDS: Readonly<Record<string, CliCommand<unknown>>> = {
  readers: readersCommand,
  info: infoCommand,
  attest: attestCommand,
  xpub: xpubCommand,
  'sign-digest': signDigestCommand,
  backup: backupCommand,
  'restore-satochip': restoreSatochipCommand,
  ...KEYCARD_COMMANDS,
};

export const USAGE = ['usage:', ...Object.values(COMMANDS).flatMap((command) => command.usage.map((line) => `  ${line}`))].join('\n');

/**
 * Run one command. `service`: the readers to use instead of starting a ReaderService (tests pass
 * a demo ReaderService, or InProcessSlots with emulated cards for the card-to-card commands).
 */
export async function runCli(argv: readonly string[], io: CliIo, service?: CliReaders): Promise<number> {
  let values: CliValues;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        reader: { type: 'string' },
        demo: { type: 'boolean', default: false },
        wait: { type: 'string', default: '1500' },
        'trust-root': { type: 'string' },
        'trust-key': { type: 'string' },
        path: { type: 'string' },
        hex: { type: 'string' },
        version: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        swap: { type: 'boolean', default: false },
        sid: { type: 'string' },
        'pin-tries': { type: 'string' },
        'puk-tries': { type: 'string' },
        index: { type: 'string' },
        puk: { type: 'boolean', default: false },
        'new-wallet': { type: 'boolean', default: false },
        'no-show': { type: 'boolean', default: false },
        replace: { type: 'boolean', default: false },
        'setup-new': { type: 'boolean', default: false },
        words: { type: 'string' },
      },
    }));
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return EXIT.USAGE;
  }
  // A command is one word (`xpub`) or two (`keycard init`).
  const two = positionals.slice(0, 2).join(' ');
  const words = positionals.length >= 2 && Object.hasOwn(COMMANDS, two) ? 2 : 1;
  const name = words === 2 ? two : positionals[0];
  const command = name !== undefined && Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command || positionals.length > words) {
    if (!command && name === 'keycard') io.err(`keycard needs one of: ${Object.keys(KEYCARD_COMMANDS).map((n) => n.slice('keycard '.length)).join(', ')}${positionals[1] === undefined ? '' : ` (not ${JSON.stringify(positionals[1])})`}\n${USAGE}`);
    else io.err(command ? `unexpected ${JSON.stringify(positionals[words])}\n${USAGE}` : USAGE);
    return EXIT.USAGE;
  }
  let options: unknown;
  try {
    options = await command.prepare(values, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n${USAGE}`);
      return EXIT.USAGE;
    }
    return reportError(error, io);
  }
  // --demo: the app's demo reader with the demo Satochip (PIN and seed public, never real funds).
  const readers = service ?? new ReaderService(values.demo ? { demo: 'on', demoCard: deferredDemoWalletCard } : { demo: 'off' });
  if (!service) await (readers as ReaderService).start();
  try {
    const snapshot = await settle(readers, Number(values.wait) || 1500);
    return await command.run(options, { io, readers, snapshot, json: values.json });
  } catch (error) {
    return reportError(error, io);
  } finally {
    if (!service) await (readers as ReaderService).close();
  }
}

/** Let readers enumerate, cards be seen (status comes after the reader list) and finish identifying. */
async function settle(readers: CliReaders, waitMs: number): Promise<ReadersSnapshot> {
  await readers.waitFor((s) => s.service !== 'starting', waitMs).catch(() => undefined);
  if (readers.snapshot().service === 'running') {
    await readers.waitFor((s) => s.readers.some((r) => r.kind === 'pcsc'), Math.min(waitMs, 800)).catch(() => undefined);
    await quiet(readers, 400, waitMs);
  }
  await readers.waitFor((s) => s.readers.every((r) => r.card?.status !== 'identifying'), 15_000).catch(() => undefined);
  return readers.snapshot();
}

/** Resolve once no change has come for `quietMs` (at most `maxMs`). */
function quiet(readers: CliReaders, quietMs: number, maxMs: number): Promise<void> {
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
    // What runCli did not describe itself: known card errors by their message, anything else without details.
    const lines = describeError(error);
    if (lines) for (const line of lines) console.error(line);
    else {
      const bridge = toBridgeError(error);
      console.error(`error: ${bridge.message}${bridge.hint ? `\nhint: ${bridge.hint}` : ''}`);
    }
    process.exitCode = EXIT.CARD;
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
