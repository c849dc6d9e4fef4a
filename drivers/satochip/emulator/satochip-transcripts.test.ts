/**
 * Card-side replay of the recorded Satochip transcripts (../shared/vectors/satochip/satochip-transcript-*.json):
 * the emulator, built with the recorded card randomness, must answer every recorded command with the
 * recorded response, byte for byte. Signatures come from `recordedSigner` (see replay.ts): the real
 * applet's ECDSA nonces are not recorded, so the emulator is handed the recorded signature only when
 * it asks to sign the same digest with the same key, and that signature verifies.
 */
import { describe, expect, it } from 'vitest';
import { fromHex } from './bytes.ts';
import { ScriptedRandom } from './random.ts';
import { loadVector, recordedSigner, replay, type Step } from './replay.ts';
import { SatochipEmulator } from './satochip.ts';

function satochipCard(constructionRng: readonly string[], checks: Parameters<typeof recordedSigner>[0]) {
  const rng = new ScriptedRandom(constructionRng.map(fromHex));
  const signer = recordedSigner(checks);
  const emulator = new SatochipEmulator({ rng, signer: signer.sign });
  return { emulator, rng, signer };
}

function expectExact(results: ReturnType<typeof replay>): void {
  for (const { step, response, rngProblems } of results) {
    expect({ step: step.step, name: step.name, rngProblems }).toEqual({ step: step.step, name: step.name, rngProblems: [] });
    expect({ step: step.step, name: step.name, response }).toEqual({ step: step.step, name: step.name, response: step.response });
  }
}

describe('Satochip card A: setup, seed, sign; then PIN, label, message; then factory reset (one card, in order)', () => {
  const setup = loadVector('satochip-transcript-setup-seed-sign.json');
  const later = loadVector('satochip-transcript-pin-label-message.json');
  const reset = loadVector('satochip-transcript-factory-reset.json');
  const card = satochipCard(setup.card.construction_rng, [...setup.checks.signatures, ...later.checks.signatures]);

  it('construction draws the recorded authentikey', () => {
    expect(Buffer.from(card.emulator.authentikeyPublic).toString('hex')).toBe(setup.card.authentikey_public_key);
  });

  it('setup-seed-sign: every response byte-exact', () => {
    expectExact(replay(setup.transcript as Step[], { reader0: card }));
  });

  it('pin-label-message: every response byte-exact', () => {
    expectExact(replay(later.transcript as Step[], { reader0: card }));
  });

  it('factory-reset: every response byte-exact', () => {
    expectExact(replay(reset.transcript as Step[], { reader0: card }));
  });

  it('used only recorded signatures, every one of them', () => {
    expect(card.signer.misses).toEqual([]);
    expect(card.signer.used).toBe(setup.checks.signatures.length + later.checks.signatures.length);
    expect(card.emulator.lastInternalError).toBeNull();
  });
});

describe('Satochip PKI card: factory personalisation with a TEST CA, setup, certificate export, challenge', () => {
  const pki = loadVector('satochip-transcript-pki.json');
  const card = satochipCard(pki.card.construction_rng, pki.checks.signatures);

  it('every response byte-exact', () => {
    expectExact(replay(pki.transcript as Step[], { reader0: card }));
    expect(card.signer.misses).toEqual([]);
    expect(card.signer.used).toBe(pki.checks.signatures.length);
  });
});
