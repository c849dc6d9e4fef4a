import { describe, expect, it } from 'vitest';
import { btcExplorerUrl, ethExplorerUrl, isExplorerUrl } from './explorers.ts';

const TXID = 'a'.repeat(64);

describe('explorer links', () => {
  it('are built from fixed templates, for checked ids, only on public networks', () => {
    expect(btcExplorerUrl('mainnet', TXID)).toBe(`https://mempool.space/tx/${TXID}`);
    expect(btcExplorerUrl('signet', TXID)).toBe(`https://mempool.space/signet/tx/${TXID}`);
    expect(btcExplorerUrl('litecoin-regtest', TXID)).toBeNull();
    expect(btcExplorerUrl('mainnet', `${TXID}/../x`)).toBeNull();
    expect(ethExplorerUrl(1, `0x${TXID}`)).toBe(`https://etherscan.io/tx/0x${TXID}`);
    expect(ethExplorerUrl(31337, `0x${TXID}`)).toBeNull();
  });
  it('only those links pass the check a front end makes before opening', () => {
    expect(isExplorerUrl(`https://mempool.space/tx/${TXID}`)).toBe(true);
    expect(isExplorerUrl(`https://mempool.space/tx/${TXID}?x=1`)).toBe(false);
    expect(isExplorerUrl('https://evil.example/tx/' + TXID)).toBe(false);
    expect(isExplorerUrl(`https://mempool.space.evil/tx/${TXID}`)).toBe(false);
  });
});
