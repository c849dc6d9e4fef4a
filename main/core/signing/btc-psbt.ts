/**
 * Sign an imported PSBT (from Sparrow, Bitcoin Core, ...: base64, hex, or a file's bytes) with the
 * card: main decodes it itself for the approval window (what the card's inputs pay, change proved by
 * derivation, fee, warnings), signs only the inputs that belong to the card after the approval with
 * the PIN, and gives the signed PSBT back; optionally finalizes and broadcasts it.
 */
import { withApprovedCard } from './approved-card.ts';
import type { ApprovalBroker } from '../approvals/broker.ts';
import { btcPsbtDisplay } from '../approvals/displays/btc.ts';
import type { ReaderService } from '../readers.ts';
import { decodePsbtForApproval } from '../wallets/btc/decode.ts';
import { BtcError } from '../wallets/btc/errors.ts';
import { btcNetwork } from '../wallets/btc/networks.ts';
import { exportPsbtBase64, importPsbt } from '../wallets/btc/psbt-codec.ts';
import { extractTransaction, finalizePsbt } from '../wallets/btc/psbt-finalize.ts';
import { signPsbt } from '../wallets/btc/psbt-sign.ts';
import { CardAccounts } from '../wallets/card-accounts.ts';
import type { BtcChain } from './btc-send.ts';
import { CardNotUnlockedError } from './errors.ts';

export interface PsbtSignRequest {
  readonly reader: string;
  /** base64, hex, or the bytes of a .psbt file. */
  readonly psbt: string | Uint8Array;
  /** Finalize and extract the transaction (every input must then be signed). */
  readonly finalize: boolean;
  /** Broadcast it (implies finalize). */
  readonly broadcast: boolean;
}

export interface PsbtSignResult {
  /** The PSBT with the card's signatures (before finalizing), base64. */
  readonly psbtBase64: string;
  readonly signedInputs: number;
  /** When finalized: the raw transaction and its id. */
  readonly txHex: string | null;
  readonly txid: string | null;
  readonly broadcast: boolean;
}

export async function signImportedPsbt(
  core: { readonly readers: Pick<ReaderService, 'snapshot' | 'withSession'>; readonly approvals: ApprovalBroker; readonly accounts: CardAccounts },
  chain: BtcChain,
  request: PsbtSignRequest,
  onStep: (step: { readonly step: 'waiting-approval' | 'signing' | 'broadcasting' | 'done'; readonly signed?: number; readonly total?: number }) => void = () => undefined,
): Promise<PsbtSignResult> {
  const psbt = importPsbt(request.psbt, btcNetwork(chain.network)); // malformed: BtcError before anything
  const wallets = await core.accounts.on(request.reader);
  if (!wallets) throw new CardNotUnlockedError(request.reader);
  const account = CardAccounts.btcAccount(wallets, chain.network);
  const view = decodePsbtForApproval(psbt, account);
  if (!view.inputs.some((input) => input.willSign)) {
    throw new BtcError('NOTHING_TO_SIGN', 'no input of this PSBT belongs to the card on the reader', { network: chain.network });
  }
  const finalize = request.finalize || request.broadcast;
  const action = request.broadcast ? 'Sign and broadcast' : finalize ? 'Sign and finalize' : 'Sign the PSBT';
  onStep({ step: 'waiting-approval' });
  const signed = await withApprovedCard(
    core,
    { reader: request.reader, kind: 'btc-psbt', display: (card) => btcPsbtDisplay(view, card, chain.unit, action), expectedCardId: wallets.cardId },
    ({ signer }) => signPsbt(psbt, account, signer, { onProgress: (p) => onStep({ step: 'signing', signed: p.signed, total: p.total }) }),
  );
  const psbtBase64 = exportPsbtBase64(psbt);
  if (!finalize) {
    onStep({ step: 'done' });
    return { psbtBase64, signedInputs: signed.signed.length, txHex: null, txid: null, broadcast: false };
  }
  const tx = extractTransaction(finalizePsbt(psbt));
  if (request.broadcast) {
    onStep({ step: 'broadcasting' });
    await chain.esplora.broadcast(tx.hex);
  }
  onStep({ step: 'done' });
  return { psbtBase64, signedInputs: signed.signed.length, txHex: tx.hex, txid: tx.txid, broadcast: request.broadcast };
}
