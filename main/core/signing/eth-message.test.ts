import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { SigningKey, computeAddress, verifyMessage } from 'ethers';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApprovalDisplay } from '../../../preload/approval-contract.ts';
import type { CardEmulator } from '../../../drivers/virtual/emulator.ts';
import { type OpenApproval, ApprovalBroker, isApprovalError } from '../approvals/broker.ts';
import { DEMO_MNEMONIC, DEMO_PIN, createDemoWalletCard } from '../demo/demo-card.ts';
import { DEMO_READER_NAME, type ReaderService } from '../readers.ts';
import { isEthError } from '../wallets/eth/errors.ts';
import { isSatochipError } from '../../../drivers/satochip/errors.ts';
import { signEthMessage } from './eth-message.ts';
import { demoReaders } from '../test-support/demo-readers.ts';

const root = HDKey.fromMasterSeed(mnemonicToSeedSync(DEMO_MNEMONIC));
const DEMO_ADDRESS = computeAddress(SigningKey.computePublicKey(root.derive("m/44'/60'/0'/0/0").publicKey!, false));

let readers: ReaderService | null = null;
afterEach(async () => {
  await readers?.close();
  readers = null;
});

/** The demo card on the demo reader, counting APDUs; the approval window is played by `decide`. */
async function setUp(decide: (approval: OpenApproval<unknown>, broker: ApprovalBroker) => void) {
  const card = await createDemoWalletCard();
  let apdus = 0;
  const counted: CardEmulator = { atr: card.atr, reset: () => card.reset(), process: (apdu) => (apdus++, card.process(apdu)) };
  readers = await demoReaders(counted);
  const shown: OpenApproval<unknown>[] = [];
  const broker: ApprovalBroker = new ApprovalBroker({ open: (a) => (shown.push(a), queueMicrotask(() => decide(a, broker))) });
  const before = apdus;
  return { core: { readers, approvals: broker }, shown, apdusSince: () => apdus - before };
}

describe('personal_sign through the approval window', () => {
  it('shows the decoded message, and signs with the card only after the approval with the PIN', async () => {
    const { core, shown } = await setUp((a, broker) => broker.approve(a.request.id, a.token, DEMO_PIN));
    const result = await signEthMessage(core, { reader: DEMO_READER_NAME, message: { text: 'Log in to example.org, nonce 42' } });
    expect(result.address).toBe(DEMO_ADDRESS);
    expect(verifyMessage('Log in to example.org, nonce 42', result.signature)).toBe(DEMO_ADDRESS);
    const display = shown[0]!.request.view as ApprovalDisplay;
    expect(display.sections[0]!.rows[0]).toEqual({ label: 'Text', value: 'Log in to example.org, nonce 42', mono: false });
    expect(display.subtitle).toContain('demo card');
  });

  it('a rejection sends nothing to the card', async () => {
    const { core, apdusSince } = await setUp((a, broker) => broker.reject(a.request.id, a.token));
    const error = await signEthMessage(core, { reader: DEMO_READER_NAME, message: { text: 'hello' } }).catch((e: unknown) => e);
    expect(isApprovalError(error, 'APPROVAL_REJECTED')).toBe(true);
    expect(apdusSince()).toBe(0);
  });

  it('a wrong PIN from the approval window is reported with the tries left and not retried', async () => {
    const { core } = await setUp((a, broker) => broker.approve(a.request.id, a.token, '9999'));
    const error = await signEthMessage(core, { reader: DEMO_READER_NAME, message: { text: 'hello' } }).catch((e: unknown) => e);
    expect(isSatochipError(error, 'PIN_INVALID')).toBe(true);
    expect((error as { info: { triesLeft: number } }).info.triesLeft).toBe(4);
  });

  it('refuses a bad message before any approval window opens', async () => {
    const { core, shown, apdusSince } = await setUp(() => undefined);
    const error = await signEthMessage(core, { reader: DEMO_READER_NAME, message: { text: '' } }).catch((e: unknown) => e);
    expect(isEthError(error, 'INVALID_MESSAGE')).toBe(true);
    expect(shown).toHaveLength(0);
    expect(apdusSince()).toBe(0);
  });
});
