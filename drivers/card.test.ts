import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CardDriver, type CardIdentity, type Identification, identifyCard, orderDrivers, selectCommand } from './card.ts';
import { CKTAP_AID } from './cktap/identify.ts';
import { DriverError } from './errors.ts';
import { KEYCARD_INSTANCE_AID } from './keycard/identify.ts';
import { encodeCommand, fromHex, toHex } from './pcsc/apdu.ts';
import { ApduTransport, type RawChannel } from './pcsc/transport.ts';
import { CARD_DRIVERS } from './registry.ts';
import { SATOCHIP_AID, SEEDKEEPER_AID } from './satochip/identify.ts';
import { TEST_CARD_AID } from './virtual/test-card.ts';

const VECTORS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../shared/vectors');
const vector = (file: string): any => JSON.parse(readFileSync(path.join(VECTORS, file), 'utf8'));

interface Exchange {
  readonly command: string;
  readonly response: string;
}

const SELECT_PREFIX = '00a404';
const isSelect = (hex: string) => hex.startsWith(SELECT_PREFIX);
/** The AID of a short-form SELECT by name. */
const selectAid = (hex: string) => {
  const bytes = fromHex(hex);
  return toHex(bytes.slice(5, 5 + bytes[4]!));
};

/**
 * Serves a recorded script in order. SELECTs of an AID the script does not select are answered
 * 6A82 (the applet is not on this card); anything else off-script is a test failure.
 */
class ReplayChannel implements RawChannel {
  readonly readerName = 'Replay reader';
  private next = 0;
  readonly sent: string[] = [];
  readonly foreignSelects: string[] = [];
  readonly violations: string[] = [];
  private readonly scriptedAids: Set<string>;

  constructor(private readonly script: readonly Exchange[]) {
    this.scriptedAids = new Set(script.filter((e) => isSelect(e.command)).map((e) => selectAid(e.command)));
  }

  async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    const hex = toHex(apdu);
    this.sent.push(hex);
    const expected = this.script[this.next];
    if (expected && hex === expected.command) {
      this.next += 1;
      return fromHex(expected.response);
    }
    if (isSelect(hex) && !this.scriptedAids.has(selectAid(hex))) {
      this.foreignSelects.push(selectAid(hex));
      return Uint8Array.from([0x6a, 0x82]);
    }
    this.violations.push(`unexpected command ${hex} (expected ${expected?.command ?? 'nothing more'})`);
    throw new Error(`replay: unexpected command ${hex}`);
  }

  get done(): boolean {
    return this.next === this.script.length;
  }
}

async function replay(script: readonly Exchange[], atrHex: string): Promise<{ result: Identification; channel: ReplayChannel }> {
  const channel = new ReplayChannel(script);
  const transport = new ApduTransport(channel);
  const result = await identifyCard(transport, fromHex(atrHex), CARD_DRIVERS);
  expect(channel.violations).toEqual([]);
  expect(channel.done).toBe(true);
  return { result, channel };
}

function identity(result: Identification): CardIdentity {
  expect(result.kind).toBe('identified');
  if (result.kind !== 'identified') throw new Error('not identified');
  return result.identity;
}

/** An ATR no driver hints on (a generic ISO 14443-4 card, no historical bytes). */
const PLAIN_ATR = '3b8080010101';

// ---------------------------------------------------------------------------------------------

describe('identifyCard: Coinkite cards (recorded)', () => {
  const cases = [
    ['cktap/tapsigner-transcript.json', 'TAPSIGNER', 'cktap-backup'],
    ['cktap/satscard-transcript.json', 'SATSCARD', 'none'],
    ['cktap/satschip-transcript.json', 'SATSCHIP', 'cktap-backup'],
  ] as const;

  it.each(cases)('%s is a %s, found with one SELECT thanks to the ATR hint', async (file, product, backup) => {
    const v = vector(file);
    const exchange = v.steps[0].exchanges[0];
    const { result, channel } = await replay([{ command: exchange.command_apdu, response: exchange.response_apdu }], v.atr);
    const card = identity(result);
    expect(card).toMatchObject({ family: 'cktap', product, aid: toHex(CKTAP_AID) });
    expect(card.capabilities.backup).toBe(backup);
    expect(card.capabilities.attestation).toBe('cktap-certificate');
    // Our SELECT is byte for byte the recorded one, and it was the only command sent.
    expect(channel.sent).toEqual([exchange.command_apdu]);
    expect(toHex(encodeCommand(selectCommand(CKTAP_AID)))).toBe(exchange.command_apdu);
  });

  it('without the Coinkite ATR, cktap is still found after the families listed before it', async () => {
    const v = vector('cktap/tapsigner-transcript.json');
    const exchange = v.steps[0].exchanges[0];
    const { result, channel } = await replay([{ command: exchange.command_apdu, response: exchange.response_apdu }], PLAIN_ATR);
    expect(identity(result).product).toBe('TAPSIGNER');
    expect(channel.foreignSelects).toEqual([toHex(SATOCHIP_AID), toHex(SEEDKEEPER_AID), toHex(KEYCARD_INSTANCE_AID)]);
    expect(channel.sent.filter(isSelect).length).toBe(4);
  });
});

// Keycard: every recorded SELECT of the Keycard instance, from every session file.
const keycardSelects = [
  'keycard/session-full-wallet.json',
  'keycard/session-full-wallet-default-init.json',
  'keycard/session-backup.json',
  'keycard/session-edge.json',
  'keycard/session-ident.json',
  'keycard/session-misc.json',
  'keycard/session-wrong-pin.json',
].flatMap((file) =>
  (vector(file).steps as any[])
    .filter((s) => s.command === toHex(encodeCommand(selectCommand(KEYCARD_INSTANCE_AID))))
    .map((s) => ({ file, n: s.n as number, command: s.command as string, response: s.response as string, decoded: s.decoded })),
);

describe('identifyCard: Keycard (recorded)', () => {
  it('the vectors hold both pre-initialised and initialised (short and long form) SELECT answers', () => {
    expect(keycardSelects.some((s) => s.response.startsWith('8041'))).toBe(true);
    expect(keycardSelects.some((s) => s.response.startsWith('a461'))).toBe(true);
    expect(keycardSelects.some((s) => s.response.startsWith('a48181'))).toBe(true);
  });

  it('a pre-initialised card (80 41 <key>) is a Keycard in factory state', async () => {
    const select = keycardSelects.find((s) => s.file === 'keycard/session-full-wallet.json' && s.response.startsWith('8041'))!;
    const { result, channel } = await replay([select], PLAIN_ATR);
    const card = identity(result);
    expect(card).toMatchObject({ family: 'keycard', product: 'Keycard', aid: toHex(KEYCARD_INSTANCE_AID) });
    expect(card.details).toEqual({ initialized: 'no (factory state)' });
    expect(channel.foreignSelects).toEqual([toHex(SATOCHIP_AID), toHex(SEEDKEEPER_AID)]);
    expect(channel.sent.at(-1)).toBe(select.command);
  });

  it('an initialised card (A4 template) reports version 3.1, its UID and free slots', async () => {
    const select = keycardSelects.find((s) => s.file === 'keycard/session-full-wallet.json' && s.response.startsWith('a461'))!;
    const { result } = await replay([select], PLAIN_ATR);
    expect(identity(result).details).toEqual({
      initialized: 'yes',
      'instance UID': '4b85491cdd9192ef101c05c9db209b1b',
      'applet version': '3.1',
      'free pairing slots': '5',
    });
  });

  it.each(keycardSelects.map((s) => [`${s.file} step ${s.n}`, s] as const))('%s', async (_name, select) => {
    const { result } = await replay([select], PLAIN_ATR);
    const card = identity(result);
    expect(card.family).toBe('keycard');
    if (select.decoded?.state === 'pre-initialized') {
      expect(card.details.initialized).toBe('no (factory state)');
    } else {
      expect(card.details.initialized).toBe('yes');
      expect(card.details['applet version']).toBe('3.1');
      expect(card.details['instance UID']).toBe(select.decoded['8F_instance_uid']);
      expect(card.details['free pairing slots']).toBe(String(select.decoded['02_free_pairing_slots']));
    }
  });
});

describe('identifyCard: Satochip and Seedkeeper (recorded)', () => {
  const satochip = vector('satochip/satochip-transcript-setup-seed-sign.json');
  const steps = satochip.transcript as any[];
  const step = (n: number): Exchange => {
    const s = steps.find((x) => x.step === n);
    return { command: s.command, response: s.response };
  };

  it('a fresh Satochip: SELECT then GET STATUS give protocol 0.12, applet 0.6, setup not done', async () => {
    expect(steps[0].name).toBe('SELECT');
    expect(steps[1].name).toBe('GET STATUS');
    const { result, channel } = await replay([step(1), step(2)], satochip.card.atr_in_simulator);
    const card = identity(result);
    expect(card).toMatchObject({ family: 'satochip', product: 'Satochip', aid: toHex(SATOCHIP_AID) });
    expect(card.details).toEqual({ protocol: '0.12', applet: '0.6', 'setup done': 'no', seeded: 'no' });
    expect(channel.sent).toEqual([step(1).command, step(2).command]);
    expect(channel.foreignSelects).toEqual([]);
  });

  it('after SETUP (step 5) the status shows setup done and the PIN tries', async () => {
    const { result } = await replay([step(1), step(5)], PLAIN_ATR);
    expect(identity(result).details).toEqual({ protocol: '0.12', applet: '0.6', 'setup done': 'yes', 'PIN tries left': '5', seeded: 'no' });
  });

  it('after the seed import (step 13) it is seeded', async () => {
    expect(steps.find((x) => x.step === 13).name).toBe('GET STATUS');
    const { result } = await replay([step(1), step(13)], PLAIN_ATR);
    expect(identity(result).details.seeded).toBe('yes');
  });

  it('a Seedkeeper answers SELECT with its status: protocol 0.2, applet 0.1', async () => {
    const v = vector('satochip/seedkeeper-transcript-backup-two-readers.json');
    const s = v.transcript[0];
    expect(s.name).toBe('SELECT');
    const { result, channel } = await replay([{ command: s.command, response: s.response }], PLAIN_ATR);
    const card = identity(result);
    expect(card).toMatchObject({ family: 'seedkeeper', product: 'Seedkeeper', aid: toHex(SEEDKEEPER_AID) });
    expect(card.details).toEqual({ protocol: '0.2', applet: '0.1', 'setup done': 'no' });
    expect(card.capabilities).toEqual({ sign: [], backup: 'seedkeeper-export', attestation: 'satochip-pki' });
    expect(channel.foreignSelects).toEqual([toHex(SATOCHIP_AID)]);
    expect(channel.sent.at(-1)).toBe(s.command);
    expect(toHex(encodeCommand(selectCommand(SEEDKEEPER_AID)))).toBe(s.command);
  });
});

describe('identifyCard: cards nobody claims', () => {
  it('an unknown card (every SELECT 6A82) is reported with its ATR after trying every family', async () => {
    const { result, channel } = await replay([], PLAIN_ATR);
    expect(result).toEqual({ kind: 'unknown', atr: PLAIN_ATR });
    expect(channel.foreignSelects).toEqual(CARD_DRIVERS.map((d) => toHex(d.aid)));
  });

  it('the Coinkite ATR puts cktap first', async () => {
    const coinkiteAtr = vector('cktap/tapsigner-transcript.json').atr as string;
    const { result, channel } = await replay([], coinkiteAtr);
    expect(result).toEqual({ kind: 'unknown', atr: coinkiteAtr });
    expect(channel.foreignSelects[0]).toBe(toHex(CKTAP_AID));
    expect(channel.foreignSelects.length).toBe(CARD_DRIVERS.length);
    expect(orderDrivers(CARD_DRIVERS, fromHex(coinkiteAtr))[0]!.family).toBe('cktap');
    expect(orderDrivers(CARD_DRIVERS, fromHex(PLAIN_ATR)).map((d) => d.family)).toEqual(CARD_DRIVERS.map((d) => d.family));
  });

  it('a 9000 answer a family does not recognise moves on to the next family', async () => {
    // SELECT of the Keycard AID answered 9000 with garbage; the rest answer 6A82.
    const keycardSelect = toHex(encodeCommand(selectCommand(KEYCARD_INSTANCE_AID)));
    const { result, channel } = await replay([{ command: keycardSelect, response: '01029000' }], PLAIN_ATR);
    expect(result.kind).toBe('unknown');
    expect(channel.foreignSelects).toEqual([SATOCHIP_AID, SEEDKEEPER_AID, CKTAP_AID, TEST_CARD_AID].map(toHex));
  });
});

// ---------------------------------------------------------------------------------------------
// Property: any SELECT answer with 9000 (random or a truncated real one) never crashes a driver.

const realAnswers = [
  vector('cktap/tapsigner-transcript.json').steps[0].exchanges[0].response_apdu as string,
  vector('cktap/satscard-transcript.json').steps[0].exchanges[0].response_apdu as string,
  ...keycardSelects.slice(0, 4).map((s) => s.response),
  vector('satochip/seedkeeper-transcript-backup-two-readers.json').transcript[0].response as string,
  '000c00060000000000000001' + '9000',
].map((hex) => fromHex(hex).slice(0, -2)); // bodies, without their status word

const bodyArb = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.tuple(fc.constantFrom(...realAnswers), fc.nat(), fc.uint8Array({ maxLength: 4 })).map(([body, cut, tail]) =>
    Uint8Array.from([...body.slice(0, cut % (body.length + 1)), ...tail]),
  ),
  // TLV-ish noise: Keycard templates with random lengths.
  fc.tuple(fc.constantFrom(0x80, 0xa4, 0x8f, 0x02), fc.constantFrom(0x81, 0x82, 0x7f, 0x00, 0xff), fc.uint8Array({ maxLength: 40 })).map(
    ([tag, length, rest]) => Uint8Array.from([tag, length, ...rest]),
  ),
);

/** A card that answers the driver's SELECT with `body` 9000, and anything else with `other`. */
function fuzzChannel(driver: CardDriver, body: Uint8Array, other: Uint8Array): RawChannel & { sent: string[] } {
  const selectHex = toHex(encodeCommand(selectCommand(driver.aid)));
  const sent: string[] = [];
  return {
    readerName: 'Fuzz reader',
    sent,
    async transmit(apdu) {
      const hex = toHex(apdu);
      sent.push(hex);
      if (hex === selectHex) return Uint8Array.from([...body, 0x90, 0x00]);
      if (isSelect(hex)) return Uint8Array.from([0x6a, 0x82]);
      return other;
    },
  };
}

describe('property: random SELECT answers', () => {
  it.each(CARD_DRIVERS.map((d) => [d.family, d] as const))('%s: describe returns null or a well-formed identity, never crashes', async (_family, driver) => {
    await fc.assert(
      fc.asyncProperty(bodyArb, fc.uint8Array({ maxLength: 40 }), async (body, other) => {
        const channel = fuzzChannel(driver, body, other);
        let result: Identification;
        try {
          result = await identifyCard(new ApduTransport(channel), fromHex(PLAIN_ATR), [driver]);
        } catch (error) {
          // Only the driver layer's own errors may escape (e.g. a GET STATUS answer shorter than a SW).
          expect(error).toBeInstanceOf(DriverError);
          return;
        }
        if (result.kind === 'unknown') {
          expect(result.atr).toBe(PLAIN_ATR);
          return;
        }
        const card = result.identity;
        expect(card.family).toBe(driver.family);
        expect(card.aid).toBe(toHex(driver.aid));
        expect(typeof card.product).toBe('string');
        for (const [key, value] of Object.entries(card.details)) {
          expect(typeof key).toBe('string');
          expect(typeof value).toBe('string');
        }
        expect(() => JSON.stringify(card)).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });
});
