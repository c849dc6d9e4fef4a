/** Test support: emulated Keycards for the new-wallet flow, and the key the flow must end with. */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { KeycardEmulator, seededRandom } from '../../../../drivers/keycard/emulator/index.ts';
import { DEMO_KEYCARD_PAIRING_SECRET } from '../../../../drivers/keycard/emulator/demo.ts';
import { NEW_WALLET_CHECK_PATH } from '../keycard-new-wallet.ts';

/** An initialised Keycard with no key: `pin`, a PUK, the default pairing secret, a duress PIN other than the PIN. */
export function blankKeycard(label: string, pin: string): KeycardEmulator {
  const card = new KeycardEmulator({ random: seededRandom(label) });
  card.keycard.personalise({ pin, puk: '123123123123', pairingSecret: DEMO_KEYCARD_PAIRING_SECRET, duressPin: '909090' });
  return card;
}

/** The uncompressed key (hex) of NEW_WALLET_CHECK_PATH for these words, by an independent BIP32. */
export function checkKeyOf(words: readonly string[]): string {
  const node = HDKey.fromMasterSeed(mnemonicToSeedSync(words.join(' '))).derive(NEW_WALLET_CHECK_PATH);
  return Buffer.from(secp256k1.Point.fromBytes(node.publicKey!).toBytes(false)).toString('hex');
}
