/**
 * personal_sign with the card (EIP-191), the approval first: main decodes the message itself, the
 * approval window shows it (text, or hex when it is not UTF-8 text) with its hash, and only an
 * approval with the PIN opens the card. The signature is checked against the card's address.
 */
import { withApprovedCard } from './approved-card.ts';
import { hashMessage, toUtf8String } from 'ethers';
import type { ApprovalDisplay } from '../../../preload/approval-contract.ts';
import type { ApprovalBroker } from '../approvals/broker.ts';
import type { ReaderService } from '../readers.ts';
import { ethAccount } from '../wallets/eth/account.ts';
import { type PersonalMessage, personalMessageBytes, signPersonalMessage } from '../wallets/eth/messages.ts';

export interface EthMessageRequest {
  readonly reader: string;
  readonly message: PersonalMessage;
}

export interface EthMessageResult {
  readonly address: string;
  /** 65 bytes r || s || v, 0x-hex. */
  readonly signature: string;
  /** EIP-191 hash the card signed. */
  readonly hash: string;
}

/** The message as a person should read it: its text when it is UTF-8, else hex. */
export function readableMessage(bytes: Uint8Array): { readonly text: string; readonly isText: boolean } {
  try {
    const text = toUtf8String(bytes);
    if (!/[\u0000-\u0008\u000e-\u001f\u007f]/.test(text)) return { text, isText: true };
  } catch {
    // not UTF-8
  }
  return { text: `0x${Buffer.from(bytes).toString('hex')}`, isText: false };
}

export function ethMessageDisplay(bytes: Uint8Array, card: string): ApprovalDisplay {
  const readable = readableMessage(bytes);
  return {
    title: 'Sign a message (Ethereum personal_sign)',
    subtitle: card,
    warnings: readable.isText ? [] : [{ severity: 'caution', text: 'The message is not text. Sign bytes only when you know what they are: they may be a transaction or a permit.' }],
    sections: [
      { heading: 'Message', rows: [{ label: readable.isText ? 'Text' : 'Bytes (hex)', value: readable.text, mono: !readable.isText }] },
      {
        heading: 'Signature',
        rows: [
          { label: 'Account', value: "m/44'/60'/0'/0/0 on this card" },
          { label: 'EIP-191 hash', value: hashMessage(bytes), mono: true },
          { label: 'Length', value: `${bytes.length} bytes` },
        ],
      },
    ],
    action: 'Sign with the card',
    cardHint: 'Keep the card on the reader until it has signed.',
  };
}

export async function signEthMessage(
  core: { readonly readers: Pick<ReaderService, 'snapshot' | 'withSession'>; readonly approvals: ApprovalBroker },
  request: EthMessageRequest,
): Promise<EthMessageResult> {
  const bytes = personalMessageBytes(request.message); // refuses bad input before anything else
  return withApprovedCard(core, { reader: request.reader, kind: 'eth-personal-sign', display: (card) => ethMessageDisplay(bytes, card) }, async ({ signer }) => {
    const account = await ethAccount(signer, 0);
    const signed = await signPersonalMessage(signer, account, bytes);
    return { address: signed.address, signature: signed.signature, hash: signed.digest };
  });
}
