/**
 * The wallets on a Keycard, in-process (the emulated Keycard behind the same card sessions the app
 * uses): unlock reads the BIP84 accounts and the Ethereum account, a known card is recognised by
 * its instance UID without a PIN (SELECT only), another card is refused before the PIN, and an
 * EIP-1559 transaction and a PSBT signed through the Keycard signer verify like the Satochip's.
 */
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { Transaction, parseEther, parseUnits } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_KEYCARD_PIN, demoKeycard } from '../../../drivers/keycard/emulator/demo.ts';
import { InProcessSlots } from '../backup/test-support/in-process-slots.ts';
import { keycardPairings, useKeycardPairings } from '../keycard/app-pairings.ts';
import { MemoryPairingStore, type PairingStore } from '../keycard/pairings.ts';
import { CardNotUnlockedError } from '../signing/errors.ts';
import { CardAccounts } from './card-accounts.ts';
import { withUnlockedCard } from './card-session.ts';
import { extractTransaction, finalizePsbt } from './btc/psbt-finalize.ts';
import { signPsbt } from './btc/psbt-sign.ts';
import { externalPsbt, otherKey } from './btc/test-fixtures-psbt.ts';
import { TEST_MNEMONIC } from './btc/test-fixtures.ts';
import { customNetwork } from './eth/networks.ts';
import { buildTransaction, signTransaction } from './eth/transaction.ts';

const root = HDKey.fromMasterSeed(mnemonicToSeedSync(TEST_MNEMONIC));
const ANVIL = customNetwork(31337, 'Anvil (local)');

describe('wallets on a Keycard', () => {
  let previous: PairingStore;
  const slots = new InProcessSlots(['R', 'S']);
  slots.insert('R', demoKeycard({ label: 'wallet keycard', mnemonic: TEST_MNEMONIC }));
  slots.insert('S', demoKeycard({ label: 'another keycard', mnemonic: TEST_MNEMONIC }));
  const accounts = new CardAccounts(slots);
  const sentOn = async (reader: string, work: () => Promise<unknown>) => {
    const before = (slots.sent.get(reader) ?? []).length;
    await work();
    return (slots.sent.get(reader) ?? []).slice(before);
  };

  beforeAll(() => {
    previous = keycardPairings();
    useKeycardPairings(new MemoryPairingStore());
  });
  afterAll(() => useKeycardPairings(previous));

  it('unlock reads the BIP84 accounts (mainnet and test) and the first Ethereum account of the seed', async () => {
    const wallets = await accounts.unlock('R', DEMO_KEYCARD_PIN);
    expect(wallets.btc.mainnet.xpub).toBe(root.derive("m/84'/0'/0'").publicExtendedKey);
    expect(Buffer.from(wallets.btc.mainnet.masterFingerprint).toString('hex')).toBe('73c5da0a');
    expect(wallets.btc.test.xpub).toBe(HDKey.fromMasterSeed(mnemonicToSeedSync(TEST_MNEMONIC), { private: 0x04358394, public: 0x043587cf }).derive("m/84'/1'/0'").publicExtendedKey);
    expect(wallets.eth.address).toBe('0x9858EfFD232B4033E47d90003D41EC34EcaEda94');
    expect(wallets.cardId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('recognises the unlocked card without a PIN from SELECT alone; another card (same seed) is not it', async () => {
    const commands = await sentOn('R', async () => expect((await accounts.on('R'))?.eth.address).toBe('0x9858EfFD232B4033E47d90003D41EC34EcaEda94'));
    expect(commands).toEqual(['SELECT']);
    expect(await accounts.on('S')).toBeNull();
  });

  it('refuses another card than the expected one before the PIN is sent', async () => {
    const cardId = (await accounts.on('R'))!.cardId;
    const commands: string[] = [];
    const error = await withUnlockedCard(slots, 'S', DEMO_KEYCARD_PIN, async () => 'never', { expectedCardId: cardId }).catch((e: unknown) => e);
    commands.push(...(slots.sent.get('S') ?? []));
    expect(error).toBeInstanceOf(CardNotUnlockedError);
    expect(commands.some((name) => name.includes('VERIFY PIN'))).toBe(false);
  });

  it('signs an EIP-1559 transaction whose recovered sender is the card address', async () => {
    const wallets = await accounts.on('R');
    const signed = await withUnlockedCard(slots, 'R', DEMO_KEYCARD_PIN, async ({ signer }) => {
      const unsigned = buildTransaction({ to: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', value: parseEther('0.5'), nonce: 0, gasLimit: 21_000, maxFeePerGas: parseUnits('30', 'gwei'), maxPriorityFeePerGas: parseUnits('1', 'gwei') }, ANVIL);
      return signTransaction(signer, wallets!.eth, unsigned, ANVIL);
    });
    expect(signed.from).toBe('0x9858EfFD232B4033E47d90003D41EC34EcaEda94');
    expect(Transaction.from(signed.raw).from).toBe('0x9858EfFD232B4033E47d90003D41EC34EcaEda94');
  });

  it('signs the card inputs of a PSBT; another card with another seed is KEY_MISMATCH', async () => {
    const regtest = CardAccounts.btcAccount((await accounts.on('R'))!, 'regtest');
    const psbt = externalPsbt(regtest, [{ value: 20_000, owner: { chain: 0, index: 2 } }, { value: 30_000, owner: { chain: 1, index: 0 } }], [{ script: otherKey(9).script, value: 49_000 }]);
    const result = await withUnlockedCard(slots, 'R', DEMO_KEYCARD_PIN, ({ signer }) => signPsbt(psbt, regtest, signer));
    expect(result.signed).toEqual([0, 1]);
    const tx = extractTransaction(finalizePsbt(psbt));
    expect(tx.fee).toBe(1_000);
    // signForVerifier takes the expected key in either encoding; another key signs nothing.
    const path = regtest.keyPath(0, 2);
    const kinds = await withUnlockedCard(slots, 'R', DEMO_KEYCARD_PIN, async ({ signer }) => [
      (await signer.signForVerifier(path, new Uint8Array(32).fill(7), regtest.publicKey(0, 2))).kind,
      (await signer.signForVerifier(path, new Uint8Array(32).fill(7), regtest.uncompressedPublicKey(0, 2))).kind,
      (await signer.signForVerifier(path, new Uint8Array(32).fill(7), regtest.publicKey(0, 3))).kind,
      (await signer.signForVerifier(path, new Uint8Array(32).fill(7), regtest.uncompressedPublicKey(0, 3))).kind,
    ]);
    expect(kinds).toEqual(['signed', 'signed', 'other-key', 'other-key']);
    slots.insert('S', demoKeycard({ label: 'third keycard', mnemonic: 'zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong' }));
    const fresh = externalPsbt(regtest, [{ value: 20_000, owner: { chain: 0, index: 2 } }], [{ script: otherKey(9).script, value: 19_000 }]);
    const mismatch = await withUnlockedCard(slots, 'S', DEMO_KEYCARD_PIN, ({ signer }) => signPsbt(fresh, regtest, signer)).catch((e: unknown) => e);
    expect((mismatch as { code?: string }).code).toBe('KEY_MISMATCH');
  });
});
