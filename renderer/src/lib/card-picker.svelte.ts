/**
 * The "which card signs" choice every wallet screen has: follows the reader list, offers the cards
 * that can sign (identified Satochips), and picks the first one until the person chooses.
 * Call during a component's initialisation (it sets up effects).
 */
import { untrack } from 'svelte';
import type { ReaderView, ReadersSnapshot, TapdeskApi } from '../../../preload/contract.ts';
import { followReaders, signingReaders } from './signing-cards.ts';

export interface CardPicker {
  readonly cards: readonly ReaderView[];
  reader: string;
}

export function cardPicker(api: () => TapdeskApi): CardPicker {
  let snapshot = $state.raw<ReadersSnapshot | null>(null);
  let reader = $state('');
  const cards = $derived(signingReaders(snapshot));
  $effect(() => {
    if (!reader && cards.length > 0) reader = cards[0]!.name;
  });
  $effect(() => {
    const bridge = api();
    return untrack(() => followReaders(bridge, (s) => (snapshot = s)));
  });
  return {
    get cards() {
      return cards;
    },
    get reader() {
      return reader;
    },
    set reader(value: string) {
      reader = value;
    },
  };
}
