/**
 * Test support: replays the recorded Satochip/Seedkeeper transcripts (../shared/vectors/satochip)
 * against the card emulators, card side. Each card gets a `ScriptedRandom` holding its recorded
 * `construction_rng`, then, step by step, the `card_rng` the real applet drew for that APDU; after
 * each step every scripted chunk must have been drawn, with the right length.
 *
 * ECDSA signatures: the real applet's nonces are random and not recorded, so a signature cannot be
 * recomputed. `recordedSigner` hands the emulator the signature the real card produced *only when*
 * the emulator asks to sign the same digest with the same key and that signature verifies; anything
 * else falls back to normal signing and is reported as a miss. With it, responses (including the
 * ciphertext of encrypted answers, which depends on the signature bytes) can be compared byte for byte.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { fromHex, hex } from './bytes.ts';
import { defaultSigner, sha256, type EcdsaSigner } from './crypto.ts';
import { ScriptedRandom } from './random.ts';
import type { RecordedStep } from '../test-support/vectors.ts';

export { VECTORS_DIR, loadVector, type Vector } from '../test-support/vectors.ts';


export interface SignatureCheck {
  readonly step: number;
  readonly what: string;
  readonly signer_public_key: string;
  readonly message?: string;
  readonly digest?: string;
  readonly signature_der: string;
}

/** A recorded step as the card-side replay reads it: every step names its reader. */
export type Step = RecordedStep & { readonly reader: string };

export interface CardInfo {
  readonly construction_rng: readonly string[];
  readonly authentikey_private_key?: string;
  readonly authentikey_public_key?: string;
}

export interface RecordedSigner {
  readonly sign: EcdsaSigner;
  /** Sign requests no recorded signature answered (key hex, digest hex). */
  readonly misses: string[];
  /** How many recorded signatures were handed out. */
  used: number;
}

export function recordedSigner(checks: readonly SignatureCheck[]): RecordedSigner {
  const entries = checks.map((c) => ({
    pub: c.signer_public_key,
    digest: c.digest ?? hex(sha256(fromHex(c.message ?? ''))),
    sig: fromHex(c.signature_der),
    taken: false,
  }));
  const state: RecordedSigner = {
    misses: [],
    used: 0,
    sign(privateKey, digest) {
      const pub = hex(secp256k1.getPublicKey(privateKey, false));
      const d = hex(digest);
      // The same message may be signed more than once (AD then 6C): hand out recordings in order.
      const hit = entries.find((e) => !e.taken && e.pub === pub && e.digest === d);
      if (hit && secp256k1.verify(hit.sig, digest, fromHex(pub), { prehash: false, lowS: false, format: 'der' })) {
        hit.taken = true;
        state.used += 1;
        return hit.sig;
      }
      state.misses.push(`${pub.slice(0, 20)}… over ${d}`);
      return defaultSigner(privateKey, digest);
    },
  };
  return state;
}

/** A card under replay: its emulator and its scripted randomness. */
export interface ReplayCard {
  readonly emulator: { process(apdu: Uint8Array): Uint8Array; reset(): void; lastInternalError: unknown };
  readonly rng: ScriptedRandom;
}

export interface StepResult {
  readonly step: Step;
  readonly response: string;
  readonly rngProblems: readonly string[];
}

/** Runs the steps; power-cycle events reset the card. Answers the emulator response of every APDU step. */
export function replay(steps: readonly Step[], cards: Readonly<Record<string, ReplayCard>>): StepResult[] {
  const results: StepResult[] = [];
  for (const step of steps) {
    const card = cards[step.reader];
    if (!card) throw new Error(`no card for reader ${step.reader}`);
    if (step.event) {
      card.emulator.reset();
      continue;
    }
    const before = card.rng.mismatches.length;
    card.rng.push(...(step.card_rng ?? []).map(fromHex));
    const response = hex(card.emulator.process(fromHex(step.command!)));
    const rngProblems = [...card.rng.mismatches.slice(before)];
    if (card.rng.pending) rngProblems.push(`${card.rng.pending} scripted chunk(s) not drawn`);
    card.rng.clear();
    results.push({ step, response, rngProblems });
  }
  return results;
}
