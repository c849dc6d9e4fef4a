/**
 * The PC/SC reader state machine, as a pure reducer so it can be tested without pcscd.
 * Service: starting -> running | not-running | unavailable; readers come and go while running;
 * each reader holds the ATR of the card in it (null = empty) and a card sequence number that
 * changes on every insertion, so a session can tell "the same card" from "a card put back".
 */
export type PcscServiceState = 'starting' | 'running' | 'not-running' | 'unavailable';

export interface PcscReaderState {
  readonly name: string;
  /** Hex ATR of the card in the reader, or null when empty. */
  readonly atr: string | null;
  /** Increases on every card insertion in this reader. */
  readonly cardSeq: number;
  /** The card is present but the reader could not connect to it (mute card, protocol error). */
  readonly connectFailed?: boolean;
}

export interface PcscState {
  readonly service: PcscServiceState;
  readonly readers: readonly PcscReaderState[];
  /** Why the service is not running / unavailable (for the person, with a fix). */
  readonly detail?: string;
}

export type PcscEvent =
  | { readonly type: 'library-missing'; readonly detail: string }
  | { readonly type: 'service-down'; readonly detail: string }
  | { readonly type: 'service-up' }
  | { readonly type: 'reader-added'; readonly name: string }
  | { readonly type: 'reader-removed'; readonly name: string }
  | { readonly type: 'card-inserted'; readonly name: string; readonly atr: string; readonly connectFailed?: boolean }
  | { readonly type: 'card-removed'; readonly name: string };

export const INITIAL_PCSC_STATE: PcscState = { service: 'starting', readers: [] };

export function reducePcsc(state: PcscState, event: PcscEvent): PcscState {
  switch (event.type) {
    case 'library-missing':
      if (state.service === 'unavailable' && state.detail === event.detail) return state;
      return { service: 'unavailable', readers: [], detail: event.detail };
    case 'service-down':
      // Sticky after library-missing; a repeated probe failure changes nothing.
      if (state.service === 'unavailable' || (state.service === 'not-running' && state.detail === event.detail)) return state;
      return { service: 'not-running', readers: [], detail: event.detail };
    case 'service-up':
      return state.service === 'running' ? state : { service: 'running', readers: [] };
    case 'reader-added': {
      if (state.service !== 'running' || state.readers.some((r) => r.name === event.name)) return state;
      const readers = [...state.readers, { name: event.name, atr: null, cardSeq: 0 }];
      readers.sort((a, b) => a.name.localeCompare(b.name));
      return { ...state, readers };
    }
    case 'reader-removed':
      if (!state.readers.some((r) => r.name === event.name)) return state;
      return { ...state, readers: state.readers.filter((r) => r.name !== event.name) };
    case 'card-inserted':
      return updateReader(state, event.name, (r) => ({
        name: r.name,
        atr: event.atr,
        cardSeq: r.cardSeq + 1,
        ...(event.connectFailed ? { connectFailed: true } : {}),
      }));
    case 'card-removed':
      return updateReader(state, event.name, (r) => (r.atr === null ? r : { name: r.name, atr: null, cardSeq: r.cardSeq }));
  }
}

function updateReader(state: PcscState, name: string, update: (r: PcscReaderState) => PcscReaderState): PcscState {
  let changed = false;
  const readers = state.readers.map((r) => {
    if (r.name !== name) return r;
    const next = update(r);
    changed ||= next !== r;
    return next;
  });
  return changed ? { ...state, readers } : state;
}
