/**
 * Prints the demo card's addresses on the demo chains as JSON, for `npm start` to fund them when it
 * starts the local chains (scripts/chains.mjs --fund-eth / --fund-btc). The demo mnemonic is public;
 * these are the same keys the emulated demo Satochip derives.
 */
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { computeAddress, SigningKey } from 'ethers';
import { Bip84Account } from '../wallets/btc/account.ts';
import { hash160 } from '../wallets/btc/bytes.ts';
import { DEMO_MNEMONIC } from './demo-card.ts';

const root = HDKey.fromMasterSeed(mnemonicToSeedSync(DEMO_MNEMONIC));
const eth = computeAddress(SigningKey.computePublicKey(root.derive("m/44'/60'/0'/0/0").publicKey!, false));
const testRoot = HDKey.fromMasterSeed(mnemonicToSeedSync(DEMO_MNEMONIC), { private: 0x04358394, public: 0x043587cf }); // tprv / tpub
const account = Bip84Account.fromXpub(testRoot.derive("m/84'/1'/0'").publicExtendedKey, { network: 'litecoin-regtest', masterFingerprint: hash160(root.publicKey!).slice(0, 4) });
console.log(JSON.stringify({ eth, btc: account.describe(0, 0).address }));
