/**
 * Structural replay of the recorded sessions (../shared/vectors/keycard/session-*.json) against the
 * emulator. Card randomness differs from the recording, so the host side is re-derived step by step
 * from the recorded host values: INIT re-encrypts the recorded plaintext to this card's pre-init key,
 * PAIR uses the pairing secret the recorded host used (identified from its expected cryptogram),
 * OPEN SECURE CHANNEL uses the recorded ephemeral key, and every secure step wraps the recorded
 * `plain_command` in this card's channel. Checked per step: the same SW (inner SW for secure steps,
 * plain vs wrapped answer), the IV quirk where the recording shows it, and the same answer bytes
 * wherever they do not depend on card randomness (exported keys, key UID, status, paths, data,
 * certificates, SELECT fields, the public key of every signature, which must also verify).
 */
import { readFileSync } from 'node:fs';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import { parseTlvs } from '../tlv.ts';
import { concat, equal, fromHex, hex } from './bytes.ts';
import { sha256 } from './crypto.ts';
import { KeycardEmulator } from './emulator.ts';
import { KEYCARD_AID } from './keycard-applet.ts';
import { seededRandom } from './random.ts';
import { KeycardTestHost, apdu, initData, parseSelect, type Pairing } from './test-host.ts';

interface PlainCommand {
  cla: string;
  ins: string;
  p1: string;
  p2: string;
  data: string;
}

interface Step {
  n: number;
  card: string;
  name: string;
  secure: boolean;
  command: string;
  response: string;
  sw: string;
  plain_command?: PlainCommand;
  plain_response?: string;
  response_iv_note?: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  host?: any;
}

const VECTORS = new URL('../../../../shared/vectors/keycard/', import.meta.url);
const load = (file: string): { steps: Step[] } => JSON.parse(readFileSync(new URL(file, VECTORS), 'utf8'));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const PRIMITIVES: any = JSON.parse(readFileSync(new URL('primitives.json', VECTORS), 'utf8'));
const KNOWN_SECRETS: Uint8Array[] = PRIMITIVES.pairing_secret_from_password.cases.map((c: { pairing_secret: string }) => fromHex(c.pairing_secret));

/** Inner answers that do not depend on card randomness: compared byte for byte. */
const DETERMINISTIC_SECURE = new Set([0x13, 0x20, 0x21, 0x22, 0xc1, 0xc2, 0xca, 0xd0, 0xd1, 0xd3, 0xe2, 0xf2, 0xfd, 0xab]);

class ReplayCard {
  readonly host: KeycardTestHost;
  readonly pairings = new Map<number, Pairing>();
  private pending: { secret: Uint8Array; cardChallenge: Uint8Array } | null = null;

  constructor(
    readonly emulator: KeycardEmulator,
    label: string,
  ) {
    this.host = new KeycardTestHost(emulator, seededRandom(`${label}/host`));
  }

  /** Replays one step; answers a list of mismatches (empty when the step behaves as recorded). */
  step(step: Step): string[] {
    const pending = this.pending;
    this.pending = null;
    const problems: string[] = [];
    const where = `step ${step.n} (${step.card}: ${step.name})`;
    const check = (what: string, ok: boolean) => {
      if (!ok) problems.push(`${where}: ${what}`);
    };
    if (step.secure) {
      const pc = step.plain_command!;
      const tamper = /corrupted MAC/.test(step.name)
        ? (wire: Uint8Array) => {
            const copy = wire.slice();
            copy[5] = copy[5]! ^ 0x01;
            return copy;
          }
        : undefined;
      const ins = parseInt(pc.ins, 16);
      const answer = this.host.send(ins, parseInt(pc.p1, 16), parseInt(pc.p2, 16), fromHex(pc.data), parseInt(pc.cla, 16), tamper);
      check(`SW ${answer.sw.toString(16)} != recorded ${step.sw}`, answer.sw === parseInt(step.sw, 16));
      const recordedWrapped = step.plain_response !== undefined;
      check(`wrapped answer: ${this.host.last !== null}, recorded ${recordedWrapped}`, (this.host.last !== null) === recordedWrapped);
      if (recordedWrapped && this.host.last) {
        check(`IV quirk: used previous IV ${this.host.last.usedPreviousIv}`, this.host.last.usedPreviousIv === (step.response_iv_note !== undefined));
        const recorded = fromHex(step.plain_response!).slice(0, -2);
        if (DETERMINISTIC_SECURE.has(ins)) check(`data ${hex(answer.data)} != recorded ${hex(recorded)}`, equal(answer.data, recorded));
        else if (ins === 0xc0 && answer.sw === 0x9000) problems.push(...this.checkSignature(where, answer.data, recorded, fromHex(pc.data).slice(0, 32)));
        else if (ins === 0x14 && answer.sw === 0x9000) check('IDENT certificate', equal(answer.data.slice(3, 103), recorded.slice(3, 103)));
        else check(`answer length ${answer.data.length} != recorded ${recorded.length}`, ins === 0x11 || answer.data.length === recorded.length);
      }
      return problems;
    }

    const command = fromHex(step.command);
    const [ins, p1] = [command[1]!, command[2]!];
    const recorded = fromHex(step.response);
    const recordedData = recorded.slice(0, -2);
    let answer;
    if (ins === 0xa4 && p1 === 0x04) {
      const aid = command.slice(5, 5 + command[4]!);
      answer = this.host.select(aid);
      if (equal(aid, KEYCARD_AID) && answer.sw === 0x9000) {
        const mine = this.host.info!;
        const theirs = parseSelect(recordedData);
        check('SELECT state', mine.initialized === theirs.initialized);
        check('SELECT template length form', answer.data.length === recordedData.length && answer.data[1] === recordedData[1]);
        if (theirs.initialized) {
          check('SELECT tags', hex(Uint8Array.from(mine.tags!)) === hex(Uint8Array.from(theirs.tags!)));
          check('SELECT version / free slots / key UID / capabilities', equal(concat(mine.version!, Uint8Array.of(mine.freeSlots!, mine.capabilities!), mine.keyUid!), concat(theirs.version!, Uint8Array.of(theirs.freeSlots!, theirs.capabilities!), theirs.keyUid!)));
        }
      } else {
        check(`SELECT answer ${hex(answer.data)}`, ins === 0xa4 && (equal(answer.data, recordedData) || equal(aid, fromHex('a00000080400010301'))));
      }
    } else if (ins === 0xfe && step.host?.plaintext) {
      const data = initData(this.host.info!.publicKey, fromHex(step.host.ephemeral_private_key), fromHex(step.host.iv), fromHex(step.host.plaintext));
      answer = this.host.transmit(apdu(0x80, 0xfe, 0, 0, data));
    } else if (ins === 0x12 && p1 === 0x00 && step.host?.expected_card_cryptogram) {
      const challenge = command.slice(5, 37);
      const secret = KNOWN_SECRETS.find((s) => hex(sha256(concat(s, challenge))) === step.host.expected_card_cryptogram);
      check('recorded pairing secret identified', secret !== undefined);
      answer = this.host.transmit(command);
      if (answer.sw === 0x9000 && secret) this.pending = { secret, cardChallenge: answer.data.slice(32, 64) };
    } else if (ins === 0x12 && p1 === 0x01 && pending) {
      answer = this.host.pairStep2(sha256(concat(pending.secret, pending.cardChallenge)));
      if (answer.sw === 0x9000) {
        const index = answer.data[0]!;
        check(`pairing index ${index} != recorded ${recordedData[0]}`, index === recordedData[0]);
        this.pairings.set(index, { index, pairingKey: sha256(concat(pending.secret, answer.data.slice(1, 33))) });
      }
    } else if (ins === 0x10 && step.host?.ephemeral_private_key) {
      const pairing = this.pairings.get(p1) ?? { index: p1, pairingKey: new Uint8Array(32) };
      answer = this.host.openChannel(pairing, fromHex(step.host.ephemeral_private_key));
    } else {
      answer = this.host.transmit(command);
      if (ins === 0xfd && answer.sw === 0x9000) this.host.keys = null;
      const deterministic = ins === 0xca || ins === 0xb0 || ins === 0xe2 || (ins === 0xa4 && p1 === 0x00);
      if (deterministic) check(`data ${hex(answer.data)} != recorded ${hex(recordedData)}`, equal(answer.data, recordedData));
      if (ins === 0xc0 && answer.sw === 0x9000 && command[2] === 0x03) problems.push(...this.checkSignature(where, answer.data, recordedData, command.slice(5, 37)));
      if (ins === 0xc0 && answer.sw === 0x9000 && command[2] !== 0x03) {
        // Cash SIGN: its own random key; check the structure and the signature only.
        problems.push(...this.checkSignature(where, answer.data, null, command.slice(5, 37)));
      }
      if (ins === 0x14 && answer.sw === 0x9000) check('IDENT certificate', equal(answer.data.slice(3, 103), recordedData.slice(3, 103)));
    }
    check(`SW ${answer.sw.toString(16)} != recorded ${step.sw}`, answer.sw === parseInt(step.sw, 16));
    return problems;
  }

  /** A0 81 len { 80 41 public key, 30 DER }: same public key as recorded (when given), verifies, low-S, s 32 bytes. */
  private checkSignature(where: string, data: Uint8Array, recorded: Uint8Array | null, digest: Uint8Array): string[] {
    const problems: string[] = [];
    const outer = parseTlvs(data);
    const inner = outer?.[0] ? parseTlvs(outer[0].value) : null;
    if (!outer || outer[0]?.tag !== 0xa0 || !inner || inner[0]?.tag !== 0x80 || inner[1]?.tag !== 0x30) return [`${where}: SIGN answer layout ${hex(data)}`];
    const publicKey = inner[0].value;
    if (recorded && !equal(publicKey, recorded.slice(5, 70))) problems.push(`${where}: SIGN public key differs from the recording`);
    const der = inner[1].value;
    const rLen = der[1]!;
    const sLen = der[3 + rLen]!;
    if (sLen !== 32) problems.push(`${where}: s is ${sLen} bytes`);
    const r = der.slice(2, 2 + rLen);
    const s = der.slice(4 + rLen);
    const to32 = (v: Uint8Array) => (v.length > 32 ? v.slice(v.length - 32) : concat(new Uint8Array(32 - v.length), v));
    if (!secp256k1.verify(concat(to32(r), to32(s)), digest, publicKey, { prehash: false, lowS: true })) problems.push(`${where}: signature does not verify (low-S)`);
    return problems;
  }
}

function replay(files: string[], labels: Record<string, string>): { problems: string[]; cards: Record<string, ReplayCard> } {
  const cards: Record<string, ReplayCard> = {};
  for (const [card, label] of Object.entries(labels)) cards[card] = new ReplayCard(new KeycardEmulator({ random: seededRandom(label) }), label);
  const problems: string[] = [];
  for (const file of files) {
    for (const step of load(file).steps) problems.push(...cards[step.card]!.step(step).map((p) => `${file} ${p}`));
  }
  for (const card of Object.values(cards)) if (card.emulator.lastInternalError) problems.push(`internal error: ${String(card.emulator.lastInternalError)}`);
  return { problems, cards };
}

describe('recorded sessions replayed against the emulator', () => {
  it('session-full-wallet.json, then session-wrong-pin.json on the same card', () => {
    expect(replay(['session-full-wallet.json', 'session-wrong-pin.json'], { A: 'replay full wallet' }).problems).toEqual([]);
  });

  it('session-full-wallet-default-init.json (the duress trap)', () => {
    const { problems } = replay(['session-full-wallet-default-init.json'], { A: 'replay default init' });
    expect(problems).toEqual([]);
  });

  it('session-ident.json', () => {
    expect(replay(['session-ident.json'], { A: 'replay ident' }).problems).toEqual([]);
  });

  it('session-backup.json (two cards with different randomness)', () => {
    const { problems, cards } = replay(['session-backup.json'], { A: 'replay backup A', B: 'replay backup B' });
    expect(problems).toEqual([]);
    expect(cards.A!.host.info!.instanceUid).not.toEqual(cards.B!.host.info!.instanceUid);
    expect(cards.A!.host.info!.keyUid).toEqual(cards.B!.host.info!.keyUid);
  });

  it('session-misc.json', () => {
    expect(replay(['session-misc.json'], { A: 'replay misc' }).problems).toEqual([]);
  });

  it('session-edge.json', () => {
    expect(replay(['session-edge.json'], { A: 'replay edge' }).problems).toEqual([]);
  });
});
