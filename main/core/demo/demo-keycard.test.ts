/**
 * The demo reader with a Keycard (--demo-card keycard / TAPDESK_DEMO_CARD=keycard): the app core
 * shows it as a Keycard on the demo reader, and unlocking it with the demo Keycard PIN gives the
 * same demo wallet as the demo Satochip (the demo chains fund those addresses).
 */
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { computeAddress, hexlify } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type TapdeskCore } from '../app-core.ts';
import { keycardPairings, useKeycardPairings } from '../keycard/app-pairings.ts';
import { MemoryPairingStore, type PairingStore } from '../keycard/pairings.ts';
import { DEMO_READER_NAME } from '../readers.ts';
import { CardAccounts } from '../wallets/card-accounts.ts';
import { DEMO_MNEMONIC, DEMO_PINS, demoCardFamily } from './demo-card.ts';

describe('demo reader with a Keycard', () => {
  let core: TapdeskCore;
  let previous: PairingStore;

  beforeAll(async () => {
    previous = keycardPairings();
    useKeycardPairings(new MemoryPairingStore());
    core = await createCore({ mode: 'browser', demo: 'on', pcsc: false, demoCardFamily: 'keycard' });
    await core.readers.waitFor((s) => s.readers.find((r) => r.name === DEMO_READER_NAME)?.card?.status === 'identified', 5000);
  });
  afterAll(async () => {
    await core?.close();
    useKeycardPairings(previous);
  });

  it('is a Keycard on the demo reader, labelled demo', () => {
    const reader = core.readers.snapshot().readers.find((r) => r.name === DEMO_READER_NAME)!;
    expect(reader.kind).toBe('demo');
    expect(reader.card).toMatchObject({ family: 'keycard', product: 'Keycard' });
  });

  it('unlocks with the demo Keycard PIN to the demo wallet', async () => {
    const wallets = await new CardAccounts(core.readers).unlock(DEMO_READER_NAME, DEMO_PINS.keycard);
    const root = HDKey.fromMasterSeed(mnemonicToSeedSync(DEMO_MNEMONIC));
    expect(wallets.eth.address).toBe(computeAddress(hexlify(root.derive("m/44'/60'/0'/0/0").publicKey!)));
    expect(wallets.btc.mainnet.xpub).toBe(root.derive("m/84'/0'/0'").publicExtendedKey);
  });

  it('reads the family from the flag or environment, refusing anything else', () => {
    expect(demoCardFamily(undefined)).toBe('satochip');
    expect(demoCardFamily('keycard')).toBe('keycard');
    expect(() => demoCardFamily('tapsigner')).toThrow(RangeError);
  });
});
