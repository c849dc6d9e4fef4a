/** Readers whose card can sign today (identified Satochips), for the wallet screens. */
import type { ReaderView, ReadersSnapshot, TapdeskApi } from '../../../preload/contract.ts';

export function signingReaders(snapshot: ReadersSnapshot | null): ReaderView[] {
  return (snapshot?.readers ?? []).filter((r) => r.card?.status === 'identified' && r.card.family === 'satochip');
}

export function readerLabel(reader: ReaderView): string {
  return `${reader.card?.product ?? 'Card'} on ${reader.name}${reader.kind === 'demo' ? ' (demo card)' : ''}`;
}

/** Follows the reader list (event first, then the list answer; the higher revision wins). */
export function followReaders(api: TapdeskApi, accept: (snapshot: ReadersSnapshot) => void): () => void {
  let alive = true;
  let revision = -1;
  const take = (s: ReadersSnapshot) => {
    if (!alive || s.revision <= revision) return;
    revision = s.revision;
    accept(s);
  };
  const off = api.onReadersChanged(take);
  api.listReaders().then(take, () => undefined);
  return () => {
    alive = false;
    off();
  };
}
