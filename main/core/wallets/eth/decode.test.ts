import { Interface, MaxUint256, Transaction, hashMessage, parseEther, parseUnits } from 'ethers';
import { describe, expect, it } from 'vitest';
import { decodeCall } from './calldata.ts';
import { describePersonalMessage, describeTransaction, describeTypedData } from './decode.ts';
import { isEthError } from './errors.ts';
import { MAINNET, SEPOLIA, customNetwork } from './networks.ts';
import { CARD_ADDRESS } from './test-support/card.ts';
import { MAIL, MAIL_HASHES } from './test-support/eip712-mail.ts';
import { buildTransaction } from './transaction.ts';

const BOB = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const USDC = '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48';
const ERC20 = new Interface(['function transfer(address to, uint256 amount)', 'function approve(address spender, uint256 amount)']);
const FEES = { nonce: 7, maxFeePerGas: parseUnits('20', 'gwei'), maxPriorityFeePerGas: parseUnits('1.5', 'gwei') };
const account = { index: 0, path: "m/44'/60'/0'/0/0", address: CARD_ADDRESS, publicKey: '' };
const codes = (view: { warnings: readonly { code: string }[] }) => view.warnings.map((w) => w.code);
const jsonSafe = (view: unknown) => expect(JSON.parse(JSON.stringify(view))).toEqual(view);

describe('transaction approval view', () => {
  it('an ETH send: to, value, max fee = gas limit * max fee per gas, chain, nonce; JSON-safe', () => {
    const tx = buildTransaction({ to: BOB, value: parseEther('1.25'), gasLimit: 21_000, ...FEES }, MAINNET);
    const view = describeTransaction(tx.unsignedSerialized, MAINNET, { account });
    expect(view).toMatchObject({
      kind: 'eth-transaction',
      network: { chainId: 1, name: 'Ethereum mainnet', testnet: false },
      txType: 'eip1559',
      from: CARD_ADDRESS,
      to: BOB,
      value: { wei: '1250000000000000000', eth: '1.25' },
      nonce: 7,
      gasLimit: '21000',
      maxFeePerGas: { wei: '20000000000', gwei: '20.0' },
      maxPriorityFeePerGas: { wei: '1500000000', gwei: '1.5' },
      gasPrice: null,
      maxFee: { wei: '420000000000000', eth: '0.00042' },
      maxTotal: { eth: '1.25042' },
      call: { kind: 'none' },
      signingHash: tx.unsignedHash,
      unsigned: tx.unsignedSerialized,
      warnings: [],
    });
    jsonSafe(view);
  });

  it('ERC-20 transfer: token, recipient, amount (formatted when the token is known)', () => {
    const data = ERC20.encodeFunctionData('transfer', [BOB, 2_500_000n]);
    const tx = buildTransaction({ to: USDC, value: 0, data, gasLimit: 65_000, ...FEES }, MAINNET);
    const tokens = new Map([[USDC, { symbol: 'USDC', decimals: 6 }]]);
    const view = describeTransaction(tx, MAINNET, { tokens });
    expect(view.call).toEqual({ kind: 'erc20-transfer', token: USDC, recipient: BOB, amount: '2500000', tokenAmount: { units: '2500000', formatted: '2.5', symbol: 'USDC' } });
    expect(view.warnings).toEqual([]);
    expect(describeTransaction(tx, MAINNET).call).toMatchObject({ tokenAmount: { units: '2500000', formatted: null, symbol: null } });
    jsonSafe(view);
  });

  it('ERC-20 approve: always a warning, and unlimited approvals say so', () => {
    const approve = (amount: bigint) => describeTransaction(buildTransaction({ to: USDC, value: 0, data: ERC20.encodeFunctionData('approve', [BOB, amount]), gasLimit: 65_000, ...FEES }, MAINNET), MAINNET);
    const limited = approve(1000n);
    expect(limited.call).toMatchObject({ kind: 'erc20-approve', token: USDC, spender: BOB, amount: '1000', unlimited: false });
    expect(codes(limited)).toEqual(['TOKEN_APPROVAL']);
    const unlimited = approve(MaxUint256);
    expect(unlimited.call).toMatchObject({ unlimited: true, amount: MaxUint256.toString() });
    expect(codes(unlimited)).toEqual(['TOKEN_APPROVAL', 'UNLIMITED_APPROVAL']);
    expect(unlimited.warnings[1]!.message).toMatch(/^unlimited approval/);
    expect(codes(approve(1n << 200n))).toEqual(['TOKEN_APPROVAL', 'UNLIMITED_APPROVAL']);
    expect(approve(0n).warnings[0]!.message).toMatch(/revokes/);
  });

  it('anything else is raw hex with an "unknown contract call" warning', () => {
    const data = '0x12345678' + '00'.repeat(32);
    const view = describeTransaction(buildTransaction({ to: USDC, value: 0, data, gasLimit: 100_000, ...FEES }, MAINNET), MAINNET);
    expect(view.call).toEqual({ kind: 'unknown', selector: '0x12345678', bytes: 36, data });
    expect(codes(view)).toEqual(['UNKNOWN_CONTRACT_CALL']);
    expect(view.warnings[0]!.message).toMatch(/^unknown contract call/);
  });

  it('an ERC-20 selector with extra bytes or a dirty address word is not decoded as one', () => {
    const transfer = ERC20.encodeFunctionData('transfer', [BOB, 1n]);
    expect(decodeCall(USDC, transfer + '00').kind).toBe('unknown');
    expect(decodeCall(USDC, transfer.slice(0, -2)).kind).toBe('unknown');
    expect(decodeCall(USDC, '0xa9059cbb' + 'ff'.repeat(12) + transfer.slice(34)).kind).toBe('unknown');
    expect(decodeCall(USDC, '0xa9')).toEqual({ kind: 'unknown', selector: null, bytes: 1, data: '0xa9' });
  });

  it('warns about token transfers to the token itself, ETH sent with a token call, burns, high fees, test networks', () => {
    const toItself = ERC20.encodeFunctionData('transfer', [USDC, 1n]);
    expect(codes(describeTransaction(buildTransaction({ to: USDC, value: 1n, data: toItself, gasLimit: 65_000, ...FEES }, MAINNET), MAINNET))).toEqual(['TOKEN_TO_ITSELF', 'VALUE_WITH_TOKEN_CALL', 'HIGH_FEE']);
    expect(codes(describeTransaction(buildTransaction({ to: '0x' + '00'.repeat(20), value: parseEther('1'), gasLimit: 21_000, ...FEES }, MAINNET), MAINNET))).toEqual(['BURN_ADDRESS']);
    expect(codes(describeTransaction(buildTransaction({ to: BOB, value: parseEther('1'), gasLimit: 21_000, ...FEES }, SEPOLIA), SEPOLIA))).toEqual(['TEST_NETWORK']);
  });

  it('a deployment (JSON without to) and an EIP-155 legacy transaction', () => {
    const anvil = customNetwork(31337, 'Anvil (local)');
    const deploy = describeTransaction(JSON.stringify({ chainId: 31337, nonce: 0, gas: 100_000, maxFeePerGas: '1000', maxPriorityFeePerGas: '0', data: '0x6080' }), anvil);
    expect(deploy.to).toBeNull();
    expect(deploy.call).toEqual({ kind: 'deploy', bytes: 2, data: '0x6080' });
    expect(codes(deploy)).toEqual(['TEST_NETWORK', 'CONTRACT_DEPLOYMENT']);
    const legacy = Transaction.from({ type: 0, chainId: 1n, to: BOB, value: parseEther('2'), nonce: 1, gasLimit: 21_000n, gasPrice: parseUnits('10', 'gwei') });
    const view = describeTransaction(legacy.unsignedSerialized, MAINNET);
    expect(view).toMatchObject({ txType: 'legacy-eip155', gasPrice: { gwei: '10.0' }, maxFeePerGas: null, maxFee: { eth: '0.00021' } });
  });

  it('gives the typed error for what it cannot describe', () => {
    for (const [input, code] of [['0x02', 'MALFORMED_TRANSACTION'], ['{}', 'MALFORMED_TRANSACTION']] as const) {
      let error: unknown;
      try {
        describeTransaction(input, MAINNET);
      } catch (e) {
        error = e;
      }
      expect(isEthError(error, code)).toBe(true);
    }
  });
});

describe('EIP-712 approval view', () => {
  it('Mail: domain, fields with types, both hashes and the digest', () => {
    const view = describeTypedData(JSON.stringify(MAIL), MAINNET, { account });
    expect(view).toEqual({
      kind: 'eth-typed-data',
      network: { chainId: 1, name: 'Ethereum mainnet', testnet: false },
      from: CARD_ADDRESS,
      primaryType: 'Mail',
      domain: [
        { path: 'name', type: 'string', value: 'Ether Mail' },
        { path: 'version', type: 'string', value: '1' },
        { path: 'chainId', type: 'uint256', value: '1' },
        { path: 'verifyingContract', type: 'address', value: '0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC' },
      ],
      fields: [
        { path: 'from.name', type: 'string', value: 'Cow' },
        { path: 'from.wallet', type: 'address', value: '0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826' },
        { path: 'to.name', type: 'string', value: 'Bob' },
        { path: 'to.wallet', type: 'address', value: '0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB' },
        { path: 'contents', type: 'string', value: 'Hello, Bob!' },
      ],
      ...MAIL_HASHES,
      warnings: [],
    });
    jsonSafe(view);
  });

  it('warns on a domain without chain id and on unlimited permits', () => {
    const permit = {
      types: {
        Permit: [
          { name: 'owner', type: 'address' },
          { name: 'spender', type: 'address' },
          { name: 'value', type: 'uint256' },
          { name: 'nonce', type: 'uint256' },
          { name: 'deadline', type: 'uint256' },
        ],
      },
      primaryType: 'Permit',
      domain: { name: 'USD Coin', version: '2', verifyingContract: USDC },
      message: { owner: CARD_ADDRESS, spender: BOB, value: MaxUint256.toString(), nonce: 0, deadline: 1_900_000_000 },
    };
    expect(codes(describeTypedData(permit, MAINNET))).toEqual(['NO_DOMAIN_CHAIN_ID', 'TOKEN_PERMIT', 'UNLIMITED_APPROVAL']);
  });
});

describe('personal_sign approval view', () => {
  it('text when it is UTF-8, with the EIP-191 hash', () => {
    const view = describePersonalMessage({ text: 'Sign in: ünïcødé ✓\nnonce 1' });
    expect(view).toMatchObject({ kind: 'eth-personal-message', encoding: 'utf8', text: 'Sign in: ünïcødé ✓\nnonce 1', hash: hashMessage('Sign in: ünïcødé ✓\nnonce 1'), warnings: [] });
    jsonSafe(view);
    expect(describePersonalMessage({ hex: '0x68656c6c6f' })).toMatchObject({ encoding: 'utf8', text: 'hello', bytes: 5 });
  });

  it('hex with a warning otherwise (invalid UTF-8, control or bidi characters, a bare hash)', () => {
    expect(describePersonalMessage({ hex: '0xff00' })).toMatchObject({ encoding: 'hex', text: null, hex: '0xff00', warnings: [{ code: 'BLIND_MESSAGE' }] });
    expect(describePersonalMessage({ text: 'pay \u202eevil' })).toMatchObject({ encoding: 'hex', warnings: [{ code: 'BLIND_MESSAGE' }] });
    expect(describePersonalMessage({ hex: '0x' + 'ab'.repeat(32) }).warnings[0]!.message).toMatch(/likely a hash/);
  });
});
