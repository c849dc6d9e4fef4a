/**
 * What the card and the chain are doing for the request this screen made: the latest
 * `signing.progress` event for the chosen reader, as a sentence (tap / hold the card, i of n).
 */
import { untrack } from 'svelte';
import type { SigningProgressView, TapdeskApi } from '../../../preload/contract.ts';

export function describeProgress(progress: SigningProgressView | null): string {
  switch (progress?.step) {
    case undefined:
      return '';
    case 'preparing':
      return 'Preparing the transaction...';
    case 'waiting-approval':
      return "Check it in the Tapdesk approval window and approve it there with the card's PIN.";
    case 'signing':
      return progress.total ? `Signing on the card: ${progress.signed ?? 0} of ${progress.total}. Keep the card on the reader.` : 'Signing on the card. Keep the card on the reader.';
    case 'broadcasting':
      return 'Signed. Sending it to the network... (the card can be taken off)';
    case 'confirming':
      return 'Sent. Waiting for it to be mined...';
    case 'done':
      return 'Done.';
  }
}

/** Follows the progress events of `reader()`; reset with `clear()` when a new request starts. */
export function signingProgress(api: () => TapdeskApi, reader: () => string): { readonly text: string; clear(): void } {
  let latest = $state.raw<SigningProgressView | null>(null);
  $effect(() => {
    const bridge = api();
    return untrack(() =>
      bridge.onSigningProgress((progress) => {
        if (progress.reader === reader()) latest = progress;
      }),
    );
  });
  return {
    get text() {
      return describeProgress(latest);
    },
    clear() {
      latest = null;
    },
  };
}
