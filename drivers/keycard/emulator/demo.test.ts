/** The demo Keycard: initialised with the documented credentials, test seed loaded, TEST-CA Ident certificate, deterministic per label. */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { describe, expect, it } from 'vitest';
import { parseTlvs } from '../tlv.ts';
import { encodePath, pathFromString } from './bip32.ts';
import { ascii, concat, hex } from './bytes.ts';
import { sha256 } from './crypto.ts';
import {
  DEMO_KEYCARD_DURESS_PIN,
  DEMO_KEYCARD_PAIRING_PASSWORD,
  DEMO_KEYCARD_PAIRING_SECRET,
  DEMO_KEYCARD_PIN,
  DEMO_KEYCARD_PUK,
  KeycardEmulator,
  TEST_CA_PRIVATE_KEY,
  caPublicKey,
  demoKeycard,
} from './index.ts';
import { KeycardTestHost, apdu, pairingSecretFromPassword } from './test-host.ts';

const ETH_PATH = encodePath(pathFromString("m/44'/60'/0'/0/0"));
const address = (publicKey: Uint8Array) => '0x' + hex(keccak_256(publicKey.slice(1)).slice(-20));

describe('demo Keycard', () => {
  it('documents credentials that avoid the duress trap', () => {
    expect(DEMO_KEYCARD_PUK.slice(0, 6)).not.toBe(DEMO_KEYCARD_PIN);
    expect(DEMO_KEYCARD_DURESS_PIN).not.toBe(DEMO_KEYCARD_PIN);
    expect(DEMO_KEYCARD_PUK).toMatch(/^\d{12}$/);
    expect(hex(pairingSecretFromPassword(DEMO_KEYCARD_PAIRING_PASSWORD))).toBe(hex(DEMO_KEYCARD_PAIRING_SECRET));
  });

  it('is initialised, holds the test seed, pairs with the default password, serves the normal wallet with the PIN', () => {
    const card = demoKeycard();
    expect(card).toBeInstanceOf(KeycardEmulator);
    const host = new KeycardTestHost(card);
    host.select();
    expect(host.info!.initialized).toBe(true);
    expect(host.info!.freeSlots).toBe(5);
    expect(hex(host.info!.keyUid!)).toBe('16f5b9c7657df5e0b45016292d852a36622fb39b63c28017ccf21633270858f1');
    const pairing = host.session(pairingSecretFromPassword(DEMO_KEYCARD_PAIRING_PASSWORD));
    expect(hex(host.send(0xf2, 0, 0).data)).toBe('a3090201030201050101ff');
    expect(host.verifyPin(DEMO_KEYCARD_PIN).sw).toBe(0x9000);
    expect(address(host.send(0xc2, 0x01, 0x01, ETH_PATH).data.slice(4))).toBe('0x9858effd232b4033e47d90003d41ec34ecaeda94');
    host.session(DEMO_KEYCARD_PAIRING_SECRET, pairing);
    expect(host.verifyPin(DEMO_KEYCARD_DURESS_PIN).sw).toBe(0x9000);
    expect(address(host.send(0xc2, 0x01, 0x01, ETH_PATH).data.slice(4))).not.toBe('0x9858effd232b4033e47d90003d41ec34ecaeda94');
    expect(card.lastInternalError).toBeNull();
  });

  it('answers IDENT with a certificate from the TEST CA', () => {
    const host = new KeycardTestHost(demoKeycard());
    host.select();
    const challenge = sha256(ascii('demo challenge'));
    const answer = host.transmit(apdu(0x80, 0x14, 0, 0, challenge));
    expect(answer.sw).toBe(0x9000);
    const inner = parseTlvs(parseTlvs(answer.data)![0]!.value)!;
    const cert = inner[0]!.value;
    const der = concat(Uint8Array.of(0x30, inner[1]!.value.length), inner[1]!.value);
    expect(secp256k1.verify(der, challenge, cert.slice(0, 33), { prehash: false, lowS: false, format: 'der' })).toBe(true);
    const ca = secp256k1.recoverPublicKey(Uint8Array.from([cert[97]!, ...cert.slice(33, 97)]), sha256(cert.slice(0, 33)), { prehash: false });
    expect(hex(ca)).toBe(hex(caPublicKey(TEST_CA_PRIVATE_KEY)));
  });

  it('is deterministic per label and distinct between labels; takes another mnemonic', () => {
    const describeCard = (card: KeycardEmulator) => {
      const host = new KeycardTestHost(card);
      host.select();
      return { uid: hex(host.info!.instanceUid!), key: hex(host.info!.publicKey), keyUid: hex(host.info!.keyUid!), cert: hex(card.identCertificate!) };
    };
    expect(describeCard(demoKeycard())).toEqual(describeCard(demoKeycard()));
    const a = describeCard(demoKeycard({ label: 'a' }));
    const b = describeCard(demoKeycard({ label: 'b' }));
    expect(a.uid).not.toBe(b.uid);
    expect(a.key).not.toBe(b.key);
    expect(a.cert).not.toBe(b.cert);
    expect(a.keyUid).toBe(b.keyUid);
    const other = describeCard(demoKeycard({ mnemonic: 'legal winner thank year wave sausage worth useful legal winner thank yellow' }));
    expect(other.keyUid).not.toBe(a.keyUid);
  });
});
