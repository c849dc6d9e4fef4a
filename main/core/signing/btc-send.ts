/**
 * Send bitcoin with the card: main finds the account's coins through the Esplora backend (gap-limit
 * discovery), builds the PSBT (change back to the card's own account), decodes it for the approval
 * window, and only after the approval with the PIN signs every input on the card (each signature
 * verified), finalizes and broadcasts. Bad input is refused before anything is shown.
 */
import { withApprovedCard } from './approved-card.ts';
import type { ApprovalBroker } from '../approvals/broker.ts';
import { btcPsbtDisplay } from '../approvals/displays/btc.ts';
import { type EsploraClient, feeRateForTarget } from '../chains/esplora.ts';
import type { ReaderService } from '../readers.ts';
import { parseAddress } from '../wallets/btc/addresses.ts';
import { btcToSats } from '../wallets/btc/amounts.ts';
import type { BtcChainBackend } from '../wallets/btc/backend.ts';
import { decodePsbtForApproval } from '../wallets/btc/decode.ts';
import { discoverAccount, listUtxos } from '../wallets/btc/discovery.ts';
import { BtcError } from '../wallets/btc/errors.ts';
import { type BtcNetworkName, btcNetwork } from '../wallets/btc/networks.ts';
import { buildSendPsbt } from '../wallets/btc/psbt-build.ts';
import { extractTransaction, finalizePsbt } from '../wallets/btc/psbt-finalize.ts';
import { signPsbt } from '../wallets/btc/psbt-sign.ts';
import { CardAccounts } from '../wallets/card-accounts.ts';
import { CardNotUnlockedError } from './errors.ts';

export interface BtcChain {
  readonly network: BtcNetworkName;
  readonly esplora: EsploraClient;
  readonly unit: string;
}

export interface BtcSendRequest {
  readonly reader: string;
  readonly to: string;
  /** Decimal coins, e.g. "0.01". */
  readonly amount: string;
  /** sat/vB; default the backend's estimate for ~6 blocks. */
  readonly feeRate?: number;
}

export interface BtcSendResult {
  readonly txid: string;
  readonly fee: number;
  readonly signedInputs: number;
}

export type BtcSendStep = { readonly step: 'preparing' | 'waiting-approval' | 'broadcasting' | 'sent' } | { readonly step: 'signing'; readonly signed: number; readonly total: number };

/** The wallet's view of an Esplora server. */
export function esploraBackend(esplora: EsploraClient): BtcChainBackend {
  return {
    addressHistory: async (address, signal) => ({ txCount: (await esplora.address(address, signal ? { signal } : {})).txCount }),
    utxos: async (address, signal) =>
      (await esplora.addressUtxos(address, signal ? { signal } : {})).map((u) => ({
        txid: u.txid,
        vout: u.vout,
        value: u.value,
        confirmed: u.status.confirmed,
        ...(u.status.blockHeight !== undefined ? { height: u.status.blockHeight } : {}),
      })),
  };
}

export async function sendBtc(
  core: { readonly readers: Pick<ReaderService, 'snapshot' | 'withSession'>; readonly approvals: ApprovalBroker; readonly accounts: CardAccounts },
  chain: BtcChain,
  request: BtcSendRequest,
  onStep: (step: BtcSendStep) => void = () => undefined,
): Promise<BtcSendResult> {
  onStep({ step: 'preparing' });
  const network = btcNetwork(chain.network);
  parseAddress(request.to, network, 'to'); // wrong network, bad checksum: refused first
  const amount = btcToSats(request.amount, 'amount');
  if (amount <= 0) throw new BtcError('INVALID_AMOUNT', 'send more than 0', { field: 'amount' });
  const wallets = await core.accounts.on(request.reader);
  if (!wallets) throw new CardNotUnlockedError(request.reader);
  const account = CardAccounts.btcAccount(wallets, chain.network);
  const backend = esploraBackend(chain.esplora);
  const scan = await discoverAccount(account, backend);
  const utxos = await listUtxos(backend, [...scan.receive.used, ...scan.change.used]);
  const feeRate = request.feeRate ?? feeRateForTarget(await chain.esplora.feeEstimates(), 6) ?? 1;
  const built = buildSendPsbt(account, { recipients: [{ address: request.to, amount }], feeRate, utxos, changeIndex: scan.change.nextIndex });
  const view = decodePsbtForApproval(built.psbt, account);
  onStep({ step: 'waiting-approval' });
  const signed = await withApprovedCard(
    core,
    { reader: request.reader, kind: 'btc-psbt', display: (card) => btcPsbtDisplay(view, card, chain.unit), expectedCardId: wallets.cardId },
    ({ signer }) => signPsbt(built.psbt, account, signer, { onProgress: (p) => onStep({ step: 'signing', signed: p.signed, total: p.total }) }),
  );
  const tx = extractTransaction(finalizePsbt(built.psbt));
  onStep({ step: 'broadcasting' });
  const txid = await chain.esplora.broadcast(tx.hex);
  onStep({ step: 'sent' });
  return { txid, fee: tx.fee, signedInputs: signed.signed.length };
}
