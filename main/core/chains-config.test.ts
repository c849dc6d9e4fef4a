import { describe, expect, it } from 'vitest';
import { DEFAULT_CHAINS, applySettings, demoChains, settingsView } from './chains-config.ts';

describe('chain settings', () => {
  it('picks the built-in network for a known chain id, a named custom one otherwise', () => {
    const next = applySettings(DEFAULT_CHAINS, { eth: { rpcUrl: 'https://rpc.example', chainId: 11155111, name: 'ignored' }, btc: { network: 'signet', esploraUrl: 'https://mempool.space/signet/api' } });
    expect(settingsView(next)).toMatchObject({ eth: { chainId: 11155111, name: 'Sepolia', demo: false }, btc: { network: 'signet', demo: false } });
    const custom = applySettings(DEFAULT_CHAINS, { eth: { rpcUrl: 'http://127.0.0.1:8545', chainId: 424242, name: 'My chain' }, btc: DEFAULT_CHAINS.btc });
    expect(custom.eth.network).toMatchObject({ kind: 'custom', chainId: 424242, name: 'My chain' });
  });

  it('a demo chain stays labelled demo only while its backend is unchanged', () => {
    const demo = demoChains('http://127.0.0.1:8545', 'http://127.0.0.1:3002');
    const same = applySettings(demo, { eth: { rpcUrl: demo.eth.rpcUrl, chainId: 31337, name: demo.eth.network.name }, btc: { network: 'litecoin-regtest', esploraUrl: demo.btc.esploraUrl } });
    expect(settingsView(same)).toMatchObject({ eth: { demo: true }, btc: { demo: true } });
    const moved = applySettings(demo, { eth: { rpcUrl: 'http://127.0.0.1:9999', chainId: 31337, name: 'x' }, btc: { network: 'regtest', esploraUrl: demo.btc.esploraUrl } });
    expect(settingsView(moved)).toMatchObject({ eth: { demo: false }, btc: { demo: false } });
  });
});
