/**
 * `tapdesk keycard ...`: setting up and looking after a Keycard (../shared/protocols/keycard.md
 * sections 4, 5, 7).
 *
 *   keycard init --reader NAME [--pin-tries N] [--puk-tries N] [--json]
 *       INIT a card in factory state (58-byte form, random duress PIN), then PAIR and store the pairing.
 *       PIN: TAPDESK_PIN, PUK: TAPDESK_PUK, pairing password: TAPDESK_PAIRING_PASSWORD; else prompts
 *       (new PIN and PUK typed twice; Enter at the pairing password = the factory default; without
 *       a terminal the factory default).
 *   keycard pair --reader NAME [--json]
 *       PAIR and store the pairing, replacing one already stored for that card (its slot stays taken).
 *   keycard unpair --reader NAME [--index N] [--json]       (PIN)
 *       free slot N, by default this host's own slot (then the stored pairing is forgotten).
 *   keycard change-pin --reader NAME [--puk] [--json]       (PIN, then TAPDESK_NEW_PIN / TAPDESK_NEW_PUK)
 *   keycard unblock-pin --reader NAME [--json]              (TAPDESK_PUK, TAPDESK_NEW_PIN)
 *   keycard status --reader NAME [--json]                   (no PIN: tries left, key loaded)
 *
 * The secrets are read and checked (6-digit PIN, 12-digit PUK) before any card is touched.
 */
import { type KeycardClient, type KeycardPairing } from '../../drivers/keycard/client.ts';
import { isKeycardError } from '../../drivers/keycard/errors.ts';
import { type InitializedSelect, hex, pairingSecretFor, selectInitialized } from '../core/keycard/open.ts';
import { type CliCommand, type CliContext, CliFailure, EXIT, UsageError, wrongPinFailure } from './common.ts';
import {
  KEYCARD_ENV,
  cliPairings,
  intOption,
  keycardPin,
  pairingPassword,
  readKeycardSecret,
  readNewKeycardSecret,
  versionText,
  withKeycard,
  withKeycardClient,
} from './keycard.ts';

function needReader(values: { readonly reader?: string | undefined }, command: string): string {
  if (!values.reader) throw new UsageError(`${command} needs --reader NAME`);
  return values.reader;
}

function print(context: CliContext, json: object, lines: readonly string[]): void {
  if (context.json) context.io.out(JSON.stringify(json, null, 2));
  else for (const line of lines) context.io.out(line);
}

function selectFacts(select: InitializedSelect) {
  return {
    instanceUid: hex(select.instanceUid),
    version: versionText(select),
    freePairingSlots: select.freePairingSlots,
    keyUid: select.keyUid ? hex(select.keyUid) : null,
  };
}

// ---- init ----------------------------------------------------------------------------------------

interface InitOptions {
  readonly reader: string;
  readonly pin: string;
  readonly puk: string;
  readonly password: string;
  readonly passwordIsDefault: boolean;
  readonly pinTries?: number;
  readonly pukTries?: number;
}

export const keycardInitCommand: CliCommand<InitOptions> = {
  usage: [
    'tapdesk keycard init --reader NAME [--pin-tries 2..10] [--puk-tries 3..12] [--json]',
    '    set up a Keycard in factory state and pair with it (PIN: TAPDESK_PIN, PUK: TAPDESK_PUK, pairing password: TAPDESK_PAIRING_PASSWORD, else prompts)',
  ],

  async prepare(values, io) {
    const reader = needReader(values, 'keycard init');
    const pinTries = intOption(values['pin-tries'], 'pin-tries', 2, 10);
    const pukTries = intOption(values['puk-tries'], 'puk-tries', 3, 12);
    const pin = await readNewKeycardSecret(io, 'PIN', KEYCARD_ENV.pin, 'New Keycard PIN (6 digits)', 'keycard init');
    const puk = await readNewKeycardSecret(io, 'PUK', KEYCARD_ENV.puk, 'New Keycard PUK (12 digits)', 'keycard init');
    if (puk.startsWith(pin)) io.err('note: the PUK starts with the PIN; a PUK unrelated to the PIN is safer.');
    const { password, isDefault } = await pairingPassword(io, { ask: true, confirm: true });
    return { reader, pin, puk, password, passwordIsDefault: isDefault, ...(pinTries !== undefined ? { pinTries } : {}), ...(pukTries !== undefined ? { pukTries } : {}) };
  },

  async run(options, context) {
    const pairings = cliPairings(context.io);
    const result = await withKeycardClient(context, options.reader, async (client) => {
      const first = await client.select();
      if (first.initialized) {
        throw new CliFailure(
          EXIT.CARD,
          `the Keycard on ${JSON.stringify(options.reader)} is already set up (instance UID ${hex(first.instanceUid)}); nothing was changed`,
          'Pair with it instead (tapdesk keycard pair --reader NAME); a factory reset is the only way back to factory state.',
        );
      }
      await client.init({
        pin: options.pin,
        puk: options.puk,
        pairingSecret: pairingSecretFor(options.password),
        ...(options.pinTries !== undefined ? { pinTries: options.pinTries } : {}),
        ...(options.pukTries !== undefined ? { pukTries: options.pukTries } : {}),
      });
      const select = await selectInitialized(client);
      const uid = hex(select.instanceUid);
      const pairing = await client.pair(pairingSecretFor(options.password));
      pairings.set(uid, pairing);
      await client.openSecureChannel(pairing);
      const status = await client.getStatus();
      return { select, pairing, status };
    });
    const facts = selectFacts(result.select);
    print(
      context,
      {
        reader: options.reader,
        ...facts,
        freePairingSlots: facts.freePairingSlots - 1,
        pairingSlot: result.pairing.index,
        pairingPassword: options.passwordIsDefault ? 'default' : 'custom',
        pinTriesLeft: result.status.pinTriesLeft,
        pukTriesLeft: result.status.pukTriesLeft,
        keyLoaded: result.status.keyLoaded,
      },
      [
        `Set up the Keycard on ${options.reader}.`,
        `instance UID:       ${facts.instanceUid}`,
        `applet version:     ${facts.version}`,
        `PIN tries:          ${result.status.pinTriesLeft}`,
        `PUK tries:          ${result.status.pukTriesLeft}`,
        `pairing password:   ${options.passwordIsDefault ? 'the factory default' : 'custom (keep it: other hosts need it to pair)'}`,
        `paired:             slot ${result.pairing.index} (kept for this host)`,
        `free pairing slots: ${facts.freePairingSlots - 1}`,
        'key loaded:         no (make a wallet with: tapdesk backup --new-wallet)',
      ],
    );
    return EXIT.OK;
  },
};

// ---- pair ----------------------------------------------------------------------------------------

interface PairOptions {
  readonly reader: string;
  readonly password: string;
  readonly source: string;
}

export const keycardPairCommand: CliCommand<PairOptions> = {
  usage: ['tapdesk keycard pair --reader NAME [--json]   (pairing password: TAPDESK_PAIRING_PASSWORD, else prompt, Enter = factory default)'],

  async prepare(values, io) {
    const reader = needReader(values, 'keycard pair');
    const { password, source } = await pairingPassword(io, { ask: true });
    return { reader, password, source };
  },

  async run(options, context) {
    const pairings = cliPairings(context.io);
    const result = await withKeycardClient(context, options.reader, async (client) => {
      const select = await selectInitialized(client);
      const uid = hex(select.instanceUid);
      const previous = pairings.get(uid);
      let pairing: KeycardPairing;
      try {
        pairing = await client.pair(pairingSecretFor(options.password));
      } catch (error) {
        if (isKeycardError(error, 'PAIRING_FAILED')) {
          throw new CliFailure(EXIT.CARD, `${error.message}; the pairing password came from ${options.source}`, 'Set TAPDESK_PAIRING_PASSWORD to the password the card was set up with (or type it at the prompt).');
        }
        throw error;
      }
      pairings.set(uid, pairing);
      await client.openSecureChannel(pairing);
      return { select, pairing, previous };
    });
    const facts = selectFacts(result.select);
    const replaced = result.previous && result.previous.index !== result.pairing.index ? result.previous.index : null;
    print(
      context,
      { reader: options.reader, instanceUid: facts.instanceUid, pairingSlot: result.pairing.index, replacedSlot: result.previous ? result.previous.index : null, freePairingSlots: facts.freePairingSlots - 1 },
      [
        `Paired with the Keycard ${facts.instanceUid} on ${options.reader}: slot ${result.pairing.index} (kept for this host).`,
        `free pairing slots: ${facts.freePairingSlots - 1}`,
        ...(replaced !== null
          ? [`The pairing stored before (slot ${replaced}) was replaced; that slot is still taken on the card: free it with tapdesk keycard unpair --reader ${options.reader} --index ${replaced}`]
          : []),
      ],
    );
    return EXIT.OK;
  },
};

// ---- unpair --------------------------------------------------------------------------------------

interface UnpairOptions {
  readonly reader: string;
  readonly index?: number;
  readonly pin: string;
}

export const keycardUnpairCommand: CliCommand<UnpairOptions> = {
  usage: ['tapdesk keycard unpair --reader NAME [--index 0..4] [--json]   (PIN: TAPDESK_PIN or prompt; default: this host\'s own slot, then forgotten)'],

  async prepare(values, io) {
    const reader = needReader(values, 'keycard unpair');
    const index = intOption(values.index, 'index', 0, 4);
    return { reader, ...(index !== undefined ? { index } : {}), pin: await keycardPin(io, 'keycard unpair') };
  },

  async run(options, context) {
    const pairings = cliPairings(context.io);
    const result = await withKeycard(
      context,
      options.reader,
      {
        pairings,
        pin: options.pin,
        accept: (select) => {
          if (options.index === undefined && !pairings.get(hex(select.instanceUid))) {
            throw new CliFailure(
              EXIT.CARD,
              `this host has no pairing with the Keycard ${hex(select.instanceUid)} on ${JSON.stringify(options.reader)}; nothing was changed`,
              'Say which slot to free with --index N.',
            );
          }
        },
      },
      async (client, opened) => {
        const ours = pairings.get(opened.instanceUid);
        const slot = options.index ?? ours!.index;
        await client.unpair(slot);
        const forgot = ours !== undefined && ours.index === slot;
        if (forgot) pairings.delete(opened.instanceUid);
        const after = await selectInitialized(client);
        return { instanceUid: opened.instanceUid, slot, forgot, freePairingSlots: after.freePairingSlots };
      },
    );
    print(context, { reader: options.reader, ...result }, [
      `Freed pairing slot ${result.slot} of the Keycard ${result.instanceUid}${result.forgot ? ' (this host\'s own pairing, now forgotten)' : ''}.`,
      `free pairing slots: ${result.freePairingSlots}`,
    ]);
    return EXIT.OK;
  },
};

// ---- change-pin ----------------------------------------------------------------------------------

interface ChangePinOptions {
  readonly reader: string;
  readonly pin: string;
  readonly what: 'PIN' | 'PUK';
  readonly next: string;
}

export const keycardChangePinCommand: CliCommand<ChangePinOptions> = {
  usage: ['tapdesk keycard change-pin --reader NAME [--puk] [--json]   (PIN: TAPDESK_PIN; new PIN: TAPDESK_NEW_PIN, or with --puk new PUK: TAPDESK_NEW_PUK; else prompts)'],

  async prepare(values, io) {
    const reader = needReader(values, 'keycard change-pin');
    const what = values.puk ? 'PUK' : 'PIN';
    const pin = await keycardPin(io, 'keycard change-pin');
    const next =
      what === 'PIN'
        ? await readNewKeycardSecret(io, 'PIN', KEYCARD_ENV.newPin, 'New Keycard PIN (6 digits)', 'keycard change-pin (new PIN)')
        : await readNewKeycardSecret(io, 'PUK', KEYCARD_ENV.newPuk, 'New Keycard PUK (12 digits)', 'keycard change-pin --puk (new PUK)');
    if (what === 'PIN' && next === pin) throw new UsageError('the new PIN is the current PIN; nothing to change');
    return { reader, pin, what, next };
  },

  async run(options, context) {
    const instanceUid = await withKeycard(context, options.reader, { pairings: cliPairings(context.io), pin: options.pin }, async (client, opened) => {
      if (options.what === 'PIN') await client.changePin(options.next);
      else await client.changePuk(options.next);
      return opened.instanceUid;
    });
    print(context, { reader: options.reader, instanceUid, changed: options.what }, [`Changed the ${options.what} of the Keycard ${instanceUid} on ${options.reader}.`]);
    return EXIT.OK;
  },
};

// ---- unblock-pin ---------------------------------------------------------------------------------

interface UnblockOptions {
  readonly reader: string;
  readonly puk: string;
  readonly newPin: string;
}

export const keycardUnblockPinCommand: CliCommand<UnblockOptions> = {
  usage: ['tapdesk keycard unblock-pin --reader NAME [--json]   (PUK: TAPDESK_PUK, new PIN: TAPDESK_NEW_PIN, else prompts)'],

  async prepare(values, io) {
    const reader = needReader(values, 'keycard unblock-pin');
    const puk = await readKeycardSecret(io, 'PUK', KEYCARD_ENV.puk, 'Keycard PUK: ', 'keycard unblock-pin');
    const newPin = await readNewKeycardSecret(io, 'PIN', KEYCARD_ENV.newPin, 'New Keycard PIN (6 digits)', 'keycard unblock-pin (new PIN)');
    return { reader, puk, newPin };
  },

  async run(options, context) {
    const instanceUid = await withKeycard(context, options.reader, { pairings: cliPairings(context.io) }, async (client, opened) => {
      const status = await client.getStatus();
      if (status.pinTriesLeft > 0) {
        throw new CliFailure(EXIT.CARD, `the PIN of the Keycard ${opened.instanceUid} is not blocked (${status.pinTriesLeft} tries left); nothing was changed`, 'Use tapdesk keycard change-pin to change a PIN you know.');
      }
      try {
        await client.unblockPin(options.puk, options.newPin);
      } catch (error) {
        throw wrongPinFailure(error, 'Keycard', KEYCARD_ENV.puk) ?? error;
      }
      return opened.instanceUid;
    });
    print(context, { reader: options.reader, instanceUid, unblocked: true }, [`Unblocked the PIN of the Keycard ${instanceUid} on ${options.reader}: the new PIN is set.`]);
    return EXIT.OK;
  },
};

// ---- status --------------------------------------------------------------------------------------

export const keycardStatusCommand: CliCommand<{ readonly reader: string }> = {
  usage: ['tapdesk keycard status --reader NAME [--json]   (no PIN: PIN/PUK tries left, key loaded; pairs when this host has no pairing)'],

  prepare(values) {
    return { reader: needReader(values, 'keycard status') };
  },

  async run(options, context) {
    const pairings = cliPairings(context.io);
    const { opened, status } = await withKeycard(context, options.reader, { pairings }, async (client: KeycardClient, opened) => ({ opened, status: await client.getStatus() }));
    const facts = { ...selectFacts(opened.select), freePairingSlots: opened.select.freePairingSlots - (opened.paired ? 1 : 0) };
    const slot = pairings.get(opened.instanceUid)?.index ?? null;
    print(context, { reader: options.reader, ...facts, pairingSlot: slot, ...status }, [
      `instance UID:       ${facts.instanceUid}`,
      `applet version:     ${facts.version}`,
      `PIN tries left:     ${status.pinTriesLeft}${status.pinTriesLeft === 0 ? ' (blocked: tapdesk keycard unblock-pin)' : ''}`,
      `PUK tries left:     ${status.pukTriesLeft}`,
      `key loaded:         ${status.keyLoaded ? `yes (key UID ${facts.keyUid})` : 'no'}`,
      `paired:             ${slot === null ? 'no' : `slot ${slot}`}`,
      `free pairing slots: ${facts.freePairingSlots}`,
    ]);
    return EXIT.OK;
  },
};

/** `tapdesk keycard SUBCOMMAND`, in the order of the usage text. */
export const KEYCARD_COMMANDS = {
  'keycard init': keycardInitCommand,
  'keycard pair': keycardPairCommand,
  'keycard unpair': keycardUnpairCommand,
  'keycard change-pin': keycardChangePinCommand,
  'keycard unblock-pin': keycardUnblockPinCommand,
  'keycard status': keycardStatusCommand,
} as const;
