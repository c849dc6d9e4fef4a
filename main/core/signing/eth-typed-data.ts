/**
 * EIP-712 typed data signed with the card, the approval first: main reads the JSON strictly (values
 * checked against their types, the domain's chain id against the network in use), shows the domain,
 * every field and both hashes in the approval window, and only after the approval with the PIN has
 * the card sign the digest; the signature is checked against the card address.
 */
import { withApprovedCard } from './approved-card.ts';
import type { ApprovalBroker } from '../approvals/broker.ts';
import { ethTypedDataDisplay } from '../approvals/displays/eth.ts';
import type { ReaderService } from '../readers.ts';
import { ethAccount } from '../wallets/eth/account.ts';
import { describeTypedData } from '../wallets/eth/decode.ts';
import { EthError } from '../wallets/eth/errors.ts';
import { signTypedData } from '../wallets/eth/messages.ts';
import type { EthNetwork } from '../wallets/eth/networks.ts';

export interface TypedDataResult {
  readonly address: string;
  /** 65 bytes r || s || v, 0x-hex. */
  readonly signature: string;
  /** The EIP-712 digest the card signed. */
  readonly digest: string;
}

export async function signEthTypedData(
  core: { readonly readers: Pick<ReaderService, 'snapshot' | 'withSession'>; readonly approvals: ApprovalBroker },
  network: EthNetwork,
  request: { readonly reader: string; readonly json: string },
): Promise<TypedDataResult> {
  let typedData: unknown;
  try {
    typedData = JSON.parse(request.json);
  } catch {
    throw new EthError('INVALID_TYPED_DATA', 'the typed data is not JSON');
  }
  const view = describeTypedData(typedData, network); // strict read: bad data refused before anything else
  return withApprovedCard(core, { reader: request.reader, kind: 'eth-typed-data', display: (card) => ethTypedDataDisplay(view, card) }, async ({ signer }) => {
    const signed = await signTypedData(signer, await ethAccount(signer, 0), typedData, network);
    if (signed.digest !== view.digest) throw new EthError('BAD_SIGNATURE', 'the card signed another digest than the one approved', { expected: view.digest, actual: signed.digest });
    return { address: signed.address, signature: signed.signature, digest: signed.digest };
  });
}
