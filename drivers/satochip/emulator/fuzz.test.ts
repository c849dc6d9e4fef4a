/**
 * Property tests: whatever arrives, `process()` answers with a status word and never throws, and no
 * JavaScript error escapes the card logic (a runtime fault is a `6F00`, as on a card; anything else
 * would be an emulator bug, kept in `lastInternalError`). Random wire APDUs, and random inner
 * commands properly wrapped in the secure channel of a set-up, PIN-verified card so that they reach
 * every handler, in sequences (to hit multi-APDU states: imports, exports, message signing).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SATOCHIP_AID, SEEDKEEPER_AID } from '../identify.ts';
import { ascii } from './bytes.ts';
import { seededRandom } from './random.ts';
import { SatochipEmulator } from './satochip.ts';
import { SeedkeeperEmulator } from './seedkeeper.ts';
import { TestHost, apdu, setupData } from './test-host.ts';

type Kind = 'satochip' | 'seedkeeper';

function readyCard(kind: Kind, label: string) {
  const rng = seededRandom(label);
  const emulator = kind === 'satochip' ? new SatochipEmulator({ rng }) : new SeedkeeperEmulator({ rng });
  const host = new TestHost(emulator);
  host.select(kind === 'satochip' ? SATOCHIP_AID : SEEDKEEPER_AID);
  host.openChannel(new Uint8Array(32).fill(7));
  host.send(0xb0, 0x2a, 0, 0, setupData('123456', '11223344', { slots: 4 }));
  host.send(0xb0, 0x42, 0, 0, ascii('123456'));
  if (kind === 'satochip') host.send(0xb0, 0x6c, 32, 0, new Uint8Array(32).fill(1));
  return { emulator, host };
}

// prettier-ignore
const SATOCHIP_INS = [
  0x2a, 0x32, 0x33, 0x35, 0x3c, 0x3d, 0x40, 0x42, 0x44, 0x46, 0x48, 0x60, 0x6c, 0x6d, 0x6e, 0x6f, 0x71, 0x72, 0x73,
  0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x92, 0x93, 0x94, 0x98, 0x99, 0x9a, 0xaa, 0xab, 0xac, 0xad, 0xff,
];
// prettier-ignore
const SEEDKEEPER_INS = [
  0x2a, 0x3c, 0x3d, 0x3e, 0x3f, 0x42, 0x44, 0x46, 0x60, 0x6d, 0x73, 0x92, 0x93, 0x94, 0x98, 0x99, 0x9a, 0xa0, 0xa1,
  0xa2, 0xa3, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xad, 0xae, 0xaf,
];

const plainCommand = fc.record({ ins: fc.integer({ min: 0, max: 255 }), p1: fc.integer({ min: 0, max: 255 }), data: fc.uint8Array({ maxLength: 255 }) });

const innerCommand = (ins: readonly number[]) =>
  fc.record({
    ins: fc.constantFrom(...ins),
    p1: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 255 })),
    p2: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constant(0x40), fc.integer({ min: 0, max: 255 })),
    data: fc.oneof(fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ maxLength: 154 })),
    explicitLc: fc.boolean(),
  });

function assertAnswer(answer: Uint8Array, emulator: { lastInternalError: unknown }): void {
  expect(answer.length).toBeGreaterThanOrEqual(2);
  expect(emulator.lastInternalError).toBeNull();
}

describe.each<Kind>(['satochip', 'seedkeeper'])('%s: random input never escapes process()', (kind) => {
  it('random wire APDUs, fresh card', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 12 }), (apdus) => {
        const rng = seededRandom('fuzz');
        const emulator = kind === 'satochip' ? new SatochipEmulator({ rng }) : new SeedkeeperEmulator({ rng });
        emulator.process(apdu(0x00, 0xa4, 0x04, 0x00, kind === 'satochip' ? SATOCHIP_AID : SEEDKEEPER_AID));
        for (const bytes of apdus) assertAnswer(emulator.process(bytes), emulator);
      }),
      { numRuns: 200 },
    );
  });

  it('random B0 commands with valid framing, set-up card', () => {
    fc.assert(
      fc.property(fc.array(plainCommand, { maxLength: 8 }), (commands) => {
        const { emulator } = readyCard(kind, 'fuzz plain');
        for (const c of commands) assertAnswer(emulator.process(apdu(0xb0, c.ins, c.p1, 0, c.data)), emulator);
      }),
      { numRuns: 100 },
    );
  }, 60_000);

  it('random inner commands through the secure channel, in sequences', () => {
    fc.assert(
      fc.property(fc.array(innerCommand(kind === 'satochip' ? SATOCHIP_INS : SEEDKEEPER_INS), { minLength: 1, maxLength: 16 }), (commands) => {
        const { emulator, host } = readyCard(kind, 'fuzz inner');
        for (const c of commands) {
          const inner = c.explicitLc && c.data.length === 0 ? Uint8Array.of(0xb0, c.ins, c.p1, c.p2, 0) : apdu(0xb0, c.ins, c.p1, c.p2, c.data);
          const answer = host.sendInner(inner);
          expect(answer.sw).toBeGreaterThanOrEqual(0);
          expect(emulator.lastInternalError).toBeNull();
        }
      }),
      { numRuns: 150 },
    );
  }, 60_000);
});
