import { verifyTypedData } from 'ethers';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApprovalDisplay } from '../../../preload/approval-contract.ts';
import { type OpenApproval, ApprovalBroker } from '../approvals/broker.ts';
import { DEMO_PIN, createDemoWalletCard } from '../demo/demo-card.ts';
import { DEMO_READER_NAME, type ReaderService } from '../readers.ts';
import { isEthError } from '../wallets/eth/errors.ts';
import { customNetwork } from '../wallets/eth/networks.ts';
import { MAIL } from '../wallets/eth/test-support/eip712-mail.ts';
import { signEthTypedData } from './eth-typed-data.ts';
import { demoReaders } from '../test-support/demo-readers.ts';

const anvil = customNetwork(31337, 'Anvil (demo chain)', { testnet: true });
const mail = { ...MAIL, domain: { ...MAIL.domain, chainId: 31337 } };

let readers: ReaderService | null = null;
afterEach(async () => {
  await readers?.close();
  readers = null;
});

async function setUp() {
  const card = await createDemoWalletCard();
  readers = await demoReaders(card);
  const shown: OpenApproval<unknown>[] = [];
  const broker: ApprovalBroker = new ApprovalBroker({ open: (a) => (shown.push(a), queueMicrotask(() => broker.approve(a.request.id, a.token, DEMO_PIN))) });
  return { core: { readers, approvals: broker }, shown };
}

describe('EIP-712 through the approval window', () => {
  it('shows the domain, the fields and the hashes; the card signature verifies with ethers', async () => {
    const { core, shown } = await setUp();
    const result = await signEthTypedData(core, anvil, { reader: DEMO_READER_NAME, json: JSON.stringify(mail) });
    const { EIP712Domain: _domain, ...types } = mail.types;
    expect(verifyTypedData(mail.domain, types, mail.message, result.signature)).toBe(result.address);
    const display = shown[0]!.request.view as ApprovalDisplay;
    const rows = display.sections.flatMap((s) => s.rows.map((r) => `${r.label}=${r.value}`));
    expect(rows).toContain('contents (string)=Hello, Bob!');
    expect(rows.some((r) => r.startsWith('Digest the card signs=') && r.endsWith(result.digest))).toBe(true);
  });

  it('refuses typed data for another chain, and malformed JSON, before any approval window', async () => {
    const { core, shown } = await setUp();
    const other = await signEthTypedData(core, anvil, { reader: DEMO_READER_NAME, json: JSON.stringify(MAIL) }).catch((e: unknown) => e);
    expect(isEthError(other, 'CHAIN_ID_MISMATCH'), String(other)).toBe(true);
    const broken = await signEthTypedData(core, anvil, { reader: DEMO_READER_NAME, json: '{"types":' }).catch((e: unknown) => e);
    expect(isEthError(broken, 'INVALID_TYPED_DATA')).toBe(true);
    expect(shown).toHaveLength(0);
  });
});
