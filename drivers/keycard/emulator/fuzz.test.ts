/**
 * Property tests: whatever arrives, `process()` answers with at least a status word and never
 * throws, and no JavaScript error escapes the card logic (`lastInternalError` stays null: a fault
 * would be an emulator bug). Random wire bytes on a fresh card, random framed commands on an
 * initialised card, and random inner commands properly wrapped in the secure channel of a
 * PIN-verified card with a seed loaded, in sequences (so that they reach every handler and state);
 * every wrapped answer must verify and decrypt.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ascii, fromHex } from './bytes.ts';
import { KeycardEmulator } from './emulator.ts';
import { CASH_AID, IDENT_AID, NDEF_AID } from './other-applets.ts';
import { KEYCARD_AID } from './keycard-applet.ts';
import { seededRandom } from './random.ts';
import { KeycardTestHost, apdu } from './test-host.ts';

const SECRET = fromHex('675deabb0d7c724b4a36caad0e280826159e89886f7082535d431e924848bcf1');
const SEED = new Uint8Array(64).fill(7);
const AIDS = [KEYCARD_AID, IDENT_AID, CASH_AID, NDEF_AID];
// prettier-ignore
const KEYCARD_INS = [0x10, 0x11, 0x12, 0x13, 0x14, 0x20, 0x21, 0x22, 0xc0, 0xc1, 0xc2, 0xca, 0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xe2, 0xf2, 0xfd, 0xfe, 0xa4, 0xb0, 0xab];

function check(card: KeycardEmulator, answer: Uint8Array): void {
  expect(answer).toBeInstanceOf(Uint8Array);
  expect(answer.length).toBeGreaterThanOrEqual(2);
  expect(card.lastInternalError).toBeNull();
}

function readyCard(label: string) {
  const card = new KeycardEmulator({ random: seededRandom(label) });
  const host = new KeycardTestHost(card, seededRandom(`${label}/host`));
  host.select();
  host.init({ pin: '123456', puk: '123123123123', pairingSecret: SECRET, pinTries: 3, pukTries: 5, duressPin: '654321' });
  const pairing = host.session(SECRET);
  host.verifyPin('123456');
  host.send(0xd0, 0x03, 0, SEED);
  return { card, host, pairing };
}

describe('random input never escapes process()', () => {
  it('random wire bytes, fresh card, any applet selected', () => {
    fc.assert(
      fc.property(fc.nat({ max: 3 }), fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 12 }), (applet, apdus) => {
        const card = new KeycardEmulator({ random: seededRandom('fuzz wire') });
        check(card, card.process(apdu(0x00, 0xa4, 0x04, 0x00, AIDS[applet]!)));
        for (const bytes of apdus) check(card, card.process(bytes));
      }),
      { numRuns: 200 },
    );
  }, 30_000);

  it('random framed plain commands on an initialised card (no channel, and over any applet)', () => {
    const command = fc.record({
      select: fc.option(fc.nat({ max: 3 }), { freq: 6 }),
      ins: fc.oneof(fc.constantFrom(...KEYCARD_INS), fc.nat({ max: 255 })),
      p1: fc.oneof(fc.nat({ max: 3 }), fc.constantFrom(0x40, 0x80, 0xc0, 0xaa), fc.nat({ max: 255 })),
      p2: fc.oneof(fc.nat({ max: 3 }), fc.constant(0x55), fc.nat({ max: 255 })),
      data: fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 255 })),
    });
    fc.assert(
      fc.property(fc.array(command, { maxLength: 12 }), (commands) => {
        const { card } = readyCard('fuzz plain');
        card.process(apdu(0x00, 0xa4, 0x04, 0x00, KEYCARD_AID));
        for (const c of commands) {
          if (c.select !== null) check(card, card.process(apdu(0x00, 0xa4, 0x04, 0x00, AIDS[c.select]!)));
          check(card, card.process(apdu(0x80, c.ins, c.p1, c.p2, c.data)));
        }
      }),
      { numRuns: 100 },
    );
  }, 60_000);

  it('random inner commands through the secure channel, in sequences', () => {
    const inner = fc.record({
      ins: fc.constantFrom(...KEYCARD_INS.filter((i) => i !== 0xfd)),
      p1: fc.oneof(fc.nat({ max: 3 }), fc.constantFrom(0x40, 0x41, 0x80, 0x81, 0xc0, 0xc1, 0x04, 0x08), fc.nat({ max: 255 })),
      p2: fc.oneof(fc.nat({ max: 2 }), fc.nat({ max: 255 })),
      data: fc.oneof(
        fc.uint8Array({ maxLength: 8 }),
        fc.constantFrom(ascii('123456'), ascii('654321'), ascii('123123123123123456'), fromHex('8000002c8000003c800000000000000000000000')),
        fc.uint8Array({ minLength: 32, maxLength: 72 }).map((b) => b.slice(0, 32 + 4 * Math.floor((b.length - 32) / 4))),
        fc.uint8Array({ maxLength: 223 }),
      ),
    });
    fc.assert(
      fc.property(fc.array(inner, { minLength: 1, maxLength: 16 }), (commands) => {
        const { card, host } = readyCard('fuzz inner');
        for (const c of commands) {
          if (!host.keys) break; // the channel was closed (bad MUTUALLY AUTHENTICATE, new OPEN SC, ...)
          const answer = host.send(c.ins, c.p1, c.p2, c.data);
          expect(answer.sw).toBeGreaterThan(0);
          expect(card.lastInternalError).toBeNull();
        }
      }),
      { numRuns: 150 },
    );
  }, 60_000);
});
