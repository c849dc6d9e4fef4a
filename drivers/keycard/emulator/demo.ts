/**
 * A ready-made emulated Keycard for demo mode and tests: initialized with documented credentials
 * (a distinct duress PIN, and a PUK whose first half is not the PIN, so the duress trap of section 4
 * cannot happen), a BIP39 mnemonic loaded as seed (LOAD KEY P1=03), the Ident applet provisioned
 * with a TEST-CA certificate (test-ca.ts), and deterministic randomness for a given label.
 * Pair with `DEMO_KEYCARD_PAIRING_PASSWORD` (the factory default); no pairing slot is used.
 */
import { mnemonicToSeedSync } from '@scure/bip39';
import { ascii, fromHex } from './bytes.ts';
import { randomPrivateKey, sha256 } from './crypto.ts';
import { KeycardEmulator } from './emulator.ts';
import { seededRandom, type RandomFn } from './random.ts';
import { TEST_CA_PRIVATE_KEY, makeIdentCertificate } from './test-ca.ts';

export const DEMO_KEYCARD_PIN = '123456';
/** First half `123123` differs from the PIN. */
export const DEMO_KEYCARD_PUK = '123123123123';
export const DEMO_KEYCARD_DURESS_PIN = '654321';
export const DEMO_KEYCARD_PIN_TRIES = 3;
export const DEMO_KEYCARD_PUK_TRIES = 5;
/** The factory default pairing password (section 5). */
export const DEMO_KEYCARD_PAIRING_PASSWORD = 'KeycardDefaultPairing';
/** PBKDF2-HMAC-SHA256(password, "Keycard Pairing Password Salt", 50 000, 32) of the default password. */
export const DEMO_KEYCARD_PAIRING_SECRET = fromHex('675deabb0d7c724b4a36caad0e280826159e89886f7082535d431e924848bcf1');
export const DEMO_KEYCARD_MNEMONIC = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
export const DEMO_KEYCARD_LABEL = 'Tapdesk demo Keycard';

export interface DemoKeycardOptions {
  /** BIP39 mnemonic loaded as seed (empty passphrase); default `DEMO_KEYCARD_MNEMONIC`. */
  readonly mnemonic?: string;
  /** BIP39 passphrase; default empty. */
  readonly passphrase?: string;
  /** Seeds the card randomness (two labels give two different cards); default `DEMO_KEYCARD_LABEL`. */
  readonly label?: string;
  /** Overrides `label` with an explicit random source. */
  readonly random?: RandomFn;
  /** CA that certifies the ident key; default the TEST CA. */
  readonly caPrivateKey?: Uint8Array;
  readonly atr?: Uint8Array;
}

export function demoKeycard(options: DemoKeycardOptions = {}): KeycardEmulator {
  const label = options.label ?? DEMO_KEYCARD_LABEL;
  const random = options.random ?? seededRandom(label);
  // The ident key comes from its own stream so it does not shift the card's other random draws.
  const identKey = randomPrivateKey(seededRandom(sha256(ascii(`${label}/ident`))));
  const emulator = new KeycardEmulator({
    random,
    ident: makeIdentCertificate(options.caPrivateKey ?? TEST_CA_PRIVATE_KEY, identKey),
    ...(options.atr ? { atr: options.atr } : {}),
  });
  emulator.keycard.personalise({
    pin: DEMO_KEYCARD_PIN,
    puk: DEMO_KEYCARD_PUK,
    pairingSecret: DEMO_KEYCARD_PAIRING_SECRET,
    pinTries: DEMO_KEYCARD_PIN_TRIES,
    pukTries: DEMO_KEYCARD_PUK_TRIES,
    duressPin: DEMO_KEYCARD_DURESS_PIN,
  });
  emulator.keycard.loadSeed(mnemonicToSeedSync(options.mnemonic ?? DEMO_KEYCARD_MNEMONIC, options.passphrase ?? ''));
  return emulator;
}
