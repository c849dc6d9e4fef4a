/**
 * The wallet service, loaded on first use: the chain and wallet libraries (ethers, bitcoinjs-lib,
 * qrcode) are large and not needed to show the readers, so the app starts without them (the build
 * splits them into their own chunk). Progress listeners work before the service is loaded.
 */
import type { SigningProgressView } from '../../../preload/contract.ts';
import type { ApprovalBroker } from '../approvals/broker.ts';
import type { ChainsConfig } from '../chains-config.ts';
import type { ReaderService } from '../readers.ts';
import type { WalletService } from './wallet-service.ts';

type WalletMethods = Pick<
  WalletService,
  'unlock' | 'overview' | 'sendEth' | 'sendBtc' | 'signPsbt' | 'verifyAddresses' | 'signTypedData' | 'signMessage' | 'history' | 'signRawTransaction'
>;

export type Wallets = WalletMethods & {
  onProgress(listener: (progress: SigningProgressView) => void): () => void;
};

export function lazyWallets(readers: Pick<ReaderService, 'snapshot' | 'withSession'>, approvals: ApprovalBroker, chains: () => ChainsConfig): Wallets {
  const listeners = new Set<(progress: SigningProgressView) => void>();
  let service: Promise<WalletService> | null = null;
  const load = () =>
    (service ??= import('./wallet-service.ts').then(({ WalletService }) => {
      const instance = new WalletService(readers, approvals, chains);
      instance.onProgress((progress) => {
        for (const listener of listeners) listener(progress);
      });
      return instance;
    }));
  const method = <K extends keyof WalletMethods>(name: K): WalletMethods[K] =>
    (async (...args: unknown[]) => {
      const instance = await load();
      return (instance[name] as (...a: unknown[]) => unknown).apply(instance, args);
    }) as WalletMethods[K];
  return {
    unlock: method('unlock'),
    overview: method('overview'),
    sendEth: method('sendEth'),
    sendBtc: method('sendBtc'),
    signPsbt: method('signPsbt'),
    verifyAddresses: method('verifyAddresses'),
    signTypedData: method('signTypedData'),
    signMessage: method('signMessage'),
    history: method('history'),
    signRawTransaction: method('signRawTransaction'),
    onProgress(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
