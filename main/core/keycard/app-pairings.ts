/**
 * The pairing store the app and the CLI use: keycard-pairings.json in the config folder, opened on
 * first use. Tests and the demo give their own (useKeycardPairings).
 */
import { FilePairingStore, type PairingStore } from './pairings.ts';

let store: PairingStore | null = null;

export function keycardPairings(): PairingStore {
  store ??= new FilePairingStore();
  return store;
}

export function useKeycardPairings(next: PairingStore): void {
  store = next;
}
