/** `npm run bench`: runs every benchmark and prints one JSON document. */
import { benchBundleSize } from './bundle-size.ts';
import { benchColdStart } from './cold-start.ts';
import { benchPcscOverhead } from './pcsc-overhead.ts';
import { benchSeedkeeperFlows } from './seedkeeper-flows.ts';
import { benchBtcPsbt } from './btc-psbt.ts';
import { benchBalanceRefresh } from './balance-refresh.ts';
import { benchSatochipOperations } from './satochip-ops.ts';
import { benchKeycardOperations } from './keycard-ops.ts';

const results: Record<string, unknown> = { node: process.version, date: new Date().toISOString() };
const attempt = async (name: string, run: () => unknown) => {
  try {
    results[name] = await run();
  } catch (error) {
    results[name] = { error: error instanceof Error ? error.message : String(error) };
  }
};
await attempt('renderer_bundle', () => benchBundleSize());
await attempt('pcsc_apdu_overhead', () => benchPcscOverhead());
await attempt('browser_cold_start', () => benchColdStart());
await attempt('satochip_operations', () => benchSatochipOperations());
await attempt('keycard_operations', () => benchKeycardOperations());
await attempt('seedkeeper_flows', () => benchSeedkeeperFlows());
await attempt('btc_psbt', () => benchBtcPsbt());
await attempt('balance_refresh_20', () => benchBalanceRefresh());
console.log(JSON.stringify(results, null, 2));
process.exit(Object.values(results).some((r) => typeof r === 'object' && r !== null && 'error' in r) ? 1 : 0);
