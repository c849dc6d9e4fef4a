/**
 * APDUs per Keycard operation against a small scripted card (test-support/scripted-keycard.ts):
 * the counts in the header comment of client.ts, which are the protocol minimum
 * (../shared/protocols/keycard.md): select 1, pair 2, open channel 2, verify PIN 1, export public
 * key 1, getXpub 2, sign 1, 20 signatures 20 (SIGN P1=01 derives per signature, no DERIVE KEY),
 * ident 1. The exact command sequence is asserted, not just its length.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { HDKey } from '@scure/bip32';
import { beforeAll, describe, expect, it } from 'vitest';
import { KeycardClient, type KeycardPairing, pairingSecretFromPassword } from './client.ts';
import { isKeycardError } from './errors.ts';
import { ScriptedKeycard, labelBytes } from './test-support/scripted-keycard.ts';

const SECRET = pairingSecretFromPassword('KeycardDefaultPairing');
const SEED = labelBytes('apdu-count/seed', 64);
const PATH = "m/44'/60'/0'/0/0";

describe('Keycard client: APDUs per operation (protocol minimum)', () => {
  const card = new ScriptedKeycard(SECRET, SEED);
  const sent: string[] = [];
  const client = new KeycardClient({
    send: async (command) => {
      sent.push(command.name ?? '?');
      return card.process(command);
    },
  });
  let pairing: KeycardPairing;
  const commandsOf = async (work: () => Promise<unknown>) => {
    sent.length = 0;
    await work();
    return [...sent];
  };

  beforeAll(async () => {
    await client.select();
    pairing = await client.pair(SECRET);
    await client.openSecureChannel(pairing);
    await client.verifyPin('123456');
  });

  it('select: SELECT (1)', async () => {
    expect(await commandsOf(() => client.select())).toEqual(['SELECT']);
  });

  it('pair: PAIR step 1, PAIR step 2 (2)', async () => {
    expect(await commandsOf(() => client.pair(SECRET))).toEqual(['PAIR step 1', 'PAIR step 2']);
  });

  it('open channel: OPEN SECURE CHANNEL, MUTUALLY AUTHENTICATE (2); verify PIN (1)', async () => {
    expect(await commandsOf(() => client.openSecureChannel(pairing))).toEqual(['OPEN SECURE CHANNEL', 'SC MUTUALLY AUTHENTICATE']);
    expect(client.channelOpen).toBe(true);
    expect(await commandsOf(() => client.verifyPin('123456'))).toEqual(['SC VERIFY PIN']);
  });

  it('export public key (1), getXpub (2: parent public key, then the extended key)', async () => {
    expect(await commandsOf(() => client.exportPublicKey(PATH))).toEqual(['SC EXPORT KEY']);
    let xpub = '';
    expect(await commandsOf(async () => (xpub = await client.getXpub("m/44'/60'/0'")))).toEqual(['SC EXPORT KEY', 'SC EXPORT KEY']);
    expect(xpub).toBe(HDKey.fromMasterSeed(SEED).derive("m/44'/60'/0'").publicExtendedKey);
    expect(await commandsOf(async () => (xpub = await client.getXpub("m/44'")))).toHaveLength(2);
    expect(xpub).toBe(HDKey.fromMasterSeed(SEED).derive("m/44'").publicExtendedKey);
  });

  it('sign (1); 20 digests on one path (20)', async () => {
    expect(await commandsOf(() => client.sign({ path: PATH }, new Uint8Array(32).fill(1)))).toEqual(['SC SIGN']);
    const twenty = await commandsOf(async () => {
      for (let i = 0; i < 20; i++) await client.sign({ path: PATH }, new Uint8Array(32).fill(i + 1));
    });
    expect(twenty).toEqual(Array<string>(20).fill('SC SIGN'));
  });

  it('signUnverified: the same one SIGN, the key of the path and the same low-S r || s as sign', async () => {
    const digest = new Uint8Array(32).fill(0x42);
    let checked!: Awaited<ReturnType<KeycardClient['sign']>>;
    let unverified!: Awaited<ReturnType<KeycardClient['signUnverified']>>;
    expect(await commandsOf(async () => (checked = await client.sign({ path: PATH }, digest)))).toEqual(['SC SIGN']);
    expect(await commandsOf(async () => (unverified = await client.signUnverified({ path: PATH }, digest)))).toEqual(['SC SIGN']);
    expect(unverified.publicKey).toEqual(checked.publicKey);
    expect(secp256k1.Point.fromBytes(unverified.publicKey).toBytes(true)).toEqual(HDKey.fromMasterSeed(SEED).derive(PATH).publicKey);
    expect(secp256k1.verify(unverified.compact, digest, unverified.publicKey, { prehash: false, lowS: true, format: 'compact' })).toBe(true);
    // RFC 6979 on the scripted card: the very same signature both ways.
    expect(unverified.compact).toEqual(checked.compact);
  });

  it('ident (1), wrapped inside the channel', async () => {
    const commands = await commandsOf(() => client.ident(new Uint8Array(32).fill(7)).catch((e) => (isKeycardError(e, 'NO_CERTIFICATE') ? null : Promise.reject(e))));
    expect(commands).toEqual(['SC IDENT']);
  });

  it('a whole session: SELECT, OPEN SECURE CHANNEL, MUTUALLY AUTHENTICATE, VERIFY PIN, SIGN (5)', async () => {
    const commands = await commandsOf(async () => {
      await client.select();
      await client.openSecureChannel(pairing);
      await client.verifyPin('123456');
      await client.sign({ path: PATH }, new Uint8Array(32).fill(9));
    });
    expect(commands).toEqual(['SELECT', 'OPEN SECURE CHANNEL', 'SC MUTUALLY AUTHENTICATE', 'SC VERIFY PIN', 'SC SIGN']);
  });
});
