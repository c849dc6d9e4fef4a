import { Interface, MaxUint256, Transaction, parseEther, parseUnits } from 'ethers';
import { describe, expect, it } from 'vitest';
import { describeTransaction } from '../../wallets/eth/decode.ts';
import { customNetwork } from '../../wallets/eth/networks.ts';
import { ethTransactionDisplay } from './eth.ts';

const anvil = customNetwork(31337, 'Anvil (demo)', { testnet: true });
const erc20 = new Interface(['function approve(address,uint256)', 'function transfer(address,uint256)']);
const TOKEN = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const SPENDER = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';

function tx(fields: Partial<{ to: string; value: bigint; data: string }>): Transaction {
  return Transaction.from({ type: 2, chainId: 31337, nonce: 3, to: fields.to ?? SPENDER, value: fields.value ?? 0n, data: fields.data ?? '0x', gasLimit: 60_000n, maxFeePerGas: parseUnits('2', 'gwei'), maxPriorityFeePerGas: parseUnits('1', 'gwei') });
}

const rows = (display: ReturnType<typeof ethTransactionDisplay>) => Object.fromEntries(display.sections.flatMap((s) => s.rows.map((r) => [r.label, r.value])));

describe('Ethereum approval displays', () => {
  it('a plain transfer shows to, value, fee, network, nonce and the signing hash', () => {
    const view = describeTransaction(tx({ value: parseEther('0.25') }), anvil);
    const display = ethTransactionDisplay(view, 'Satochip on demo reader');
    expect(display.title).toBe('Send ETH on Anvil (demo)');
    expect(rows(display)).toMatchObject({ To: SPENDER, Value: '0.25 ETH', Nonce: '3', 'Gas limit': '60000', 'Max fee per gas': '2.0 gwei', 'Signing hash': view.signingHash });
    expect(rows(display)['Network']).toContain('chain id 31337');
  });

  it('an unlimited ERC-20 approval is decoded and flagged as danger', () => {
    const view = describeTransaction(tx({ to: TOKEN, data: erc20.encodeFunctionData('approve', [SPENDER, MaxUint256]) }), anvil);
    const display = ethTransactionDisplay(view, 'card');
    expect(rows(display)).toMatchObject({ Spender: SPENDER, Allowance: 'UNLIMITED', 'Token contract': TOKEN });
    expect(display.warnings.some((w) => w.severity === 'danger')).toBe(true);
  });

  it('unknown calldata is shown raw with a warning', () => {
    const display = ethTransactionDisplay(describeTransaction(tx({ to: TOKEN, data: '0xdeadbeef00' }), anvil), 'card');
    expect(rows(display)['Data']).toBe('0xdeadbeef00');
    expect(display.warnings.length).toBeGreaterThan(0);
  });
});
