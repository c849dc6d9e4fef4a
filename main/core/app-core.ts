/**
 * The core every front end shares (Electron, browser mode, CLI). No Electron import here.
 */
import type { AppInfo, ChainSettingsRequest } from '../../preload/contract.ts';
import { ApprovalBroker } from './approvals/broker.ts';
import { keycardPairings } from './keycard/app-pairings.ts';
import { KeycardWalletService } from './keycard/new-wallet-service.ts';
import { type DemoCardFamily, demoWalletCard } from './demo/demo-card.ts';
import { type ChainSettingsView, type ChainsConfig, DEFAULT_CHAINS, applySettings, settingsView } from './chains-config.ts';
import { ReaderService, type ReaderServiceOptions } from './readers.ts';
import type { SettingsStore } from './settings-store.ts';
import { type Wallets, lazyWallets } from './wallets/lazy-wallets.ts';

export interface TapdeskCore {
  appInfo(): AppInfo;
  readonly readers: ReaderService;
  /** Every signature waits here for its approval window (the front end attaches the windows). */
  readonly approvals: ApprovalBroker;
  /** Accounts, balances, sends. */
  readonly wallets: Wallets;
  /** New wallets made on two Keycards at once (the words shown once in the approval window). */
  readonly keycard: KeycardWalletService;
  /** The chains and backends in use, and changing them (Settings). */
  chainSettings(): ChainSettingsView;
  setChainSettings(next: ChainSettingsRequest): ChainSettingsView;
  close(): Promise<void>;
}

export interface CoreOptions extends ReaderServiceOptions {
  readonly mode: AppInfo['mode'];
  readonly version?: string;
  /** Plain-language notices about missing parts, shown in the app. */
  readonly notices?: readonly string[];
  /** Chains and backends given at start (the demo chains); they win over saved settings. */
  readonly chains?: ChainsConfig;
  /** Where the Networks settings are kept across restarts (none: not kept). */
  readonly settings?: SettingsStore;
  /** Which card the demo reader holds (default the Satochip). */
  readonly demoCardFamily?: DemoCardFamily;
}

export const APP_VERSION = '0.1.0';

export async function createCore(options: CoreOptions): Promise<TapdeskCore> {
  // The demo reader holds an emulated Satochip (or Keycard), set up and seeded (demo-card.ts), unless told otherwise.
  let demoCard = options.demoCard;
  if (!demoCard && options.demo !== 'off') {
    const card = demoWalletCard(options.demoCardFamily ?? 'satochip'); // a Satochip sets up in the background: start does not wait for it
    demoCard = () => card;
  }
  const readers = new ReaderService({ ...options, ...(demoCard ? { demoCard } : {}) });
  await readers.start();
  const notices = [...(options.notices ?? [])];
  const approvals = new ApprovalBroker();
  const saved = options.chains ? null : options.settings?.load();
  if (saved?.problem) notices.push(saved.problem);
  let chains = options.chains ?? (saved?.settings ? applySettings(DEFAULT_CHAINS, saved.settings) : DEFAULT_CHAINS);
  const keycard = new KeycardWalletService({ slots: readers, approvals, pairings: keycardPairings, reidentify: (reader) => readers.identify(reader) });
  return {
    appInfo: () => ({
      name: 'Tapdesk',
      version: options.version ?? APP_VERSION,
      mode: options.mode,
      notices: [...notices, ...readers.notices()],
    }),
    readers,
    approvals,
    wallets: lazyWallets(readers, approvals, () => chains),
    keycard,
    chainSettings: () => settingsView(chains),
    setChainSettings: (next) => {
      chains = applySettings(chains, next);
      options.settings?.save(next);
      return settingsView(chains);
    },
    close: () => {
      keycard.discard();
      return readers.close();
    },
  };
}
