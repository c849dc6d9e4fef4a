import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { computeAddress, SigningKey } from 'ethers';
import { describe, expect, it } from 'vitest';
import { isSatochipError } from '../../../drivers/satochip/errors.ts';
import { DEMO_MNEMONIC, DEMO_PIN, createDemoWalletCard } from '../demo/demo-card.ts';
import { DEMO_READER_NAME } from '../readers.ts';
import { CardAccounts } from './card-accounts.ts';
import { demoReaders } from '../test-support/demo-readers.ts';

describe('CardAccounts on the demo Satochip', () => {
  it('unlocks with the PIN, then recognises the card without it; derives the same keys as the mnemonic', async () => {
    const card = await createDemoWalletCard();
    const readers = await demoReaders(card);
    const accounts = new CardAccounts(readers);
    expect(await accounts.on(DEMO_READER_NAME)).toBeNull();
    const wrong = await accounts.unlock(DEMO_READER_NAME, '0000').catch((e: unknown) => e);
    expect(isSatochipError(wrong, 'PIN_INVALID')).toBe(true);
    const wallets = await accounts.unlock(DEMO_READER_NAME, DEMO_PIN);
    const root = HDKey.fromMasterSeed(mnemonicToSeedSync(DEMO_MNEMONIC));
    expect(wallets.btc.mainnet.xpub).toBe(root.derive("m/84'/0'/0'").publicExtendedKey);
    expect(wallets.eth.address).toBe(computeAddress(SigningKey.computePublicKey(root.derive("m/44'/60'/0'/0/0").publicKey!, false)));
    expect(CardAccounts.btcAccount(wallets, 'litecoin-regtest').describe(0, 0).address).toMatch(/^rltc1q/);
    // Each network's account is kept (the keys discovery derived serve the next send); the networks differ.
    expect(CardAccounts.btcAccount(wallets, 'litecoin-regtest')).toBe(CardAccounts.btcAccount(wallets, 'litecoin-regtest'));
    expect(CardAccounts.btcAccount(wallets, 'signet')).toBe(CardAccounts.btcAccount(wallets, 'signet'));
    expect(CardAccounts.btcAccount(wallets, 'regtest').describe(0, 0).address).toMatch(/^bcrt1q/);
    expect(CardAccounts.btcAccount(wallets, 'testnet')).toBe(wallets.btc.test);
    const again = await accounts.on(DEMO_READER_NAME);
    expect(again?.cardId).toBe(wallets.cardId);
    await readers.close();
  });
});
