import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { INITIAL_PCSC_STATE, type PcscEvent, type PcscState, reducePcsc } from './reader-state.ts';

const reduceAll = (events: readonly PcscEvent[], from: PcscState = INITIAL_PCSC_STATE) => events.reduce(reducePcsc, from);
const running = (...names: string[]) => reduceAll([{ type: 'service-up' }, ...names.map((name) => ({ type: 'reader-added' as const, name }))]);

describe('reducePcsc: the service', () => {
  it('starts in "starting" with no readers', () => {
    expect(INITIAL_PCSC_STATE).toEqual({ service: 'starting', readers: [] });
  });

  it('starting -> running', () => {
    expect(reducePcsc(INITIAL_PCSC_STATE, { type: 'service-up' })).toEqual({ service: 'running', readers: [] });
  });

  it('starting -> not-running with the detail', () => {
    expect(reducePcsc(INITIAL_PCSC_STATE, { type: 'service-down', detail: 'pcscd is not running' })).toEqual({
      service: 'not-running',
      readers: [],
      detail: 'pcscd is not running',
    });
  });

  it('running -> not-running clears the readers (and their cards)', () => {
    const state = reduceAll([{ type: 'card-inserted', name: 'B', atr: '3b00' }], running('A', 'B'));
    expect(state.readers.length).toBe(2);
    const down = reducePcsc(state, { type: 'service-down', detail: 'gone' });
    expect(down).toEqual({ service: 'not-running', readers: [], detail: 'gone' });
  });

  it('not-running -> running drops the old detail', () => {
    const down = reducePcsc(INITIAL_PCSC_STATE, { type: 'service-down', detail: 'gone' });
    const up = reducePcsc(down, { type: 'service-up' });
    expect(up).toEqual({ service: 'running', readers: [] });
    expect('detail' in up).toBe(false);
  });

  it('service-up while running keeps the state (and the readers) as is', () => {
    const state = running('A');
    expect(reducePcsc(state, { type: 'service-up' })).toBe(state);
  });

  it('library-missing is sticky against service-down', () => {
    const missing = reducePcsc(running('A'), { type: 'library-missing', detail: 'no libpcsclite' });
    expect(missing).toEqual({ service: 'unavailable', readers: [], detail: 'no libpcsclite' });
    expect(reducePcsc(missing, { type: 'service-down', detail: 'pcscd down' })).toBe(missing);
  });

  it('service-down repeated gives the new detail, or the same object when nothing changed', () => {
    const down = reducePcsc(INITIAL_PCSC_STATE, { type: 'service-down', detail: 'one' });
    expect(reducePcsc(down, { type: 'service-down', detail: 'two' }).detail).toBe('two');
    // The reader manager probes every second while pcscd is down: no change, no new state.
    expect(reducePcsc(down, { type: 'service-down', detail: 'one' })).toBe(down);
  });

  it('library-missing repeated with the same detail returns the same object', () => {
    const missing = reducePcsc(INITIAL_PCSC_STATE, { type: 'library-missing', detail: 'x' });
    expect(reducePcsc(missing, { type: 'library-missing', detail: 'x' })).toBe(missing);
    expect(reducePcsc(missing, { type: 'library-missing', detail: 'y' }).detail).toBe('y');
  });
});

describe('reducePcsc: readers', () => {
  it('adds readers sorted by name, each empty with cardSeq 0', () => {
    const state = running('Virtual PCD 00 01', 'ACS ACR1252', 'Virtual PCD 00 00');
    expect(state.readers).toEqual([
      { name: 'ACS ACR1252', atr: null, cardSeq: 0 },
      { name: 'Virtual PCD 00 00', atr: null, cardSeq: 0 },
      { name: 'Virtual PCD 00 01', atr: null, cardSeq: 0 },
    ]);
  });

  it('ignores a reader added twice (same object back)', () => {
    const state = running('A');
    expect(reducePcsc(state, { type: 'reader-added', name: 'A' })).toBe(state);
  });

  it.each<[string, PcscState]>([
    ['starting', INITIAL_PCSC_STATE],
    ['not-running', reducePcsc(INITIAL_PCSC_STATE, { type: 'service-down', detail: 'x' })],
    ['unavailable', reducePcsc(INITIAL_PCSC_STATE, { type: 'library-missing', detail: 'x' })],
  ])('ignores reader-added while %s', (_name, state) => {
    expect(reducePcsc(state, { type: 'reader-added', name: 'A' })).toBe(state);
  });

  it('removes a reader, keeping the others in order', () => {
    const state = running('A', 'B', 'C');
    const next = reducePcsc(state, { type: 'reader-removed', name: 'B' });
    expect(next.readers.map((r) => r.name)).toEqual(['A', 'C']);
    expect(state.readers.length).toBe(3); // not mutated
  });

  it('removing an unknown reader returns the same object', () => {
    const state = running('A');
    expect(reducePcsc(state, { type: 'reader-removed', name: 'Z' })).toBe(state);
  });

  it('a reader removed and added again starts over at cardSeq 0', () => {
    let state = reduceAll([{ type: 'card-inserted', name: 'A', atr: '3b00' }], running('A'));
    state = reduceAll([{ type: 'reader-removed', name: 'A' }, { type: 'reader-added', name: 'A' }], state);
    expect(state.readers).toEqual([{ name: 'A', atr: null, cardSeq: 0 }]);
  });
});

describe('reducePcsc: cards', () => {
  it('card inserted sets the ATR and increments cardSeq; removed clears the ATR and keeps cardSeq', () => {
    let state = running('A', 'B');
    state = reducePcsc(state, { type: 'card-inserted', name: 'A', atr: '3b8f8001' });
    expect(state.readers[0]).toEqual({ name: 'A', atr: '3b8f8001', cardSeq: 1 });
    expect(state.readers[1]).toEqual({ name: 'B', atr: null, cardSeq: 0 });
    state = reducePcsc(state, { type: 'card-removed', name: 'A' });
    expect(state.readers[0]).toEqual({ name: 'A', atr: null, cardSeq: 1 });
    state = reducePcsc(state, { type: 'card-inserted', name: 'A', atr: '3b8f8001' });
    expect(state.readers[0]).toEqual({ name: 'A', atr: '3b8f8001', cardSeq: 2 });
  });

  it('only the named reader changes; the others keep their identity', () => {
    const state = running('A', 'B');
    const next = reducePcsc(state, { type: 'card-inserted', name: 'B', atr: '3b00' });
    expect(next.readers[0]).toBe(state.readers[0]);
    expect(next.readers[1]).not.toBe(state.readers[1]);
  });

  it('unchanged events return the same object', () => {
    const state = running('A');
    expect(reducePcsc(state, { type: 'card-removed', name: 'A' })).toBe(state); // already empty
    expect(reducePcsc(state, { type: 'card-inserted', name: 'nope', atr: '3b00' })).toBe(state);
    expect(reducePcsc(state, { type: 'card-removed', name: 'nope' })).toBe(state);
    const empty = INITIAL_PCSC_STATE;
    expect(reducePcsc(empty, { type: 'card-inserted', name: 'A', atr: '3b00' })).toBe(empty);
  });

  it('connectFailed is set when the reader could not talk to the card, and cleared by the next card or removal', () => {
    let state = reducePcsc(running('A'), { type: 'card-inserted', name: 'A', atr: '3b00', connectFailed: true });
    expect(state.readers[0]).toEqual({ name: 'A', atr: '3b00', cardSeq: 1, connectFailed: true });
    state = reducePcsc(state, { type: 'card-removed', name: 'A' });
    expect(state.readers[0]).toEqual({ name: 'A', atr: null, cardSeq: 1 });
    expect('connectFailed' in state.readers[0]!).toBe(false);
    state = reducePcsc(state, { type: 'card-inserted', name: 'A', atr: '3b00', connectFailed: true });
    state = reducePcsc(state, { type: 'card-inserted', name: 'A', atr: '3b01' });
    expect(state.readers[0]).toEqual({ name: 'A', atr: '3b01', cardSeq: 3 });
    expect(reducePcsc(running('A'), { type: 'card-inserted', name: 'A', atr: '3b00', connectFailed: false }).readers[0]).toEqual({
      name: 'A',
      atr: '3b00',
      cardSeq: 1,
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Property: invariants over random event sequences, checked against a tiny model.

const NAMES = ['Virtual PCD 00 00', 'Virtual PCD 00 01', 'ACS ACR122U', 'a', 'B'];
const name = fc.constantFrom(...NAMES);
const eventArb: fc.Arbitrary<PcscEvent> = fc.oneof(
  { arbitrary: fc.constant<PcscEvent>({ type: 'service-up' }), weight: 2 },
  { arbitrary: fc.constant<PcscEvent>({ type: 'service-down', detail: 'down' }), weight: 1 },
  { arbitrary: fc.constant<PcscEvent>({ type: 'library-missing', detail: 'missing' }), weight: 1 },
  { arbitrary: name.map<PcscEvent>((n) => ({ type: 'reader-added', name: n })), weight: 5 },
  { arbitrary: name.map<PcscEvent>((n) => ({ type: 'reader-removed', name: n })), weight: 2 },
  {
    arbitrary: fc
      .tuple(name, fc.constantFrom('3b00', '3b8f8001804f0ca0000003060300030000000068', '3b888001436f696e6b69746531'), fc.boolean())
      .map<PcscEvent>(([n, atr, connectFailed]) => ({ type: 'card-inserted', name: n, atr, ...(connectFailed ? { connectFailed } : {}) })),
    weight: 6,
  },
  { arbitrary: name.map<PcscEvent>((n) => ({ type: 'card-removed', name: n })), weight: 4 },
);

describe('property: random event sequences', () => {
  it('keep names unique and sorted, atr null iff no card, cardSeq monotone per present reader', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 80 }), (events) => {
        let state = INITIAL_PCSC_STATE;
        // Model: reader name -> card present?
        let service: PcscState['service'] = 'starting';
        const model = new Map<string, boolean>();
        for (const event of events) {
          const prev = state;
          state = reducePcsc(state, event);

          switch (event.type) {
            case 'library-missing':
              service = 'unavailable';
              model.clear();
              break;
            case 'service-down':
              if (service !== 'unavailable') {
                service = 'not-running';
                model.clear();
              }
              break;
            case 'service-up':
              if (service !== 'running') model.clear();
              service = 'running';
              break;
            case 'reader-added':
              if (service === 'running' && !model.has(event.name)) model.set(event.name, false);
              break;
            case 'reader-removed':
              model.delete(event.name);
              break;
            case 'card-inserted':
              if (model.has(event.name)) model.set(event.name, true);
              break;
            case 'card-removed':
              if (model.has(event.name)) model.set(event.name, false);
              break;
          }

          expect(state.service).toBe(service);
          const names = state.readers.map((r) => r.name);
          expect(new Set(names).size).toBe(names.length);
          expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
          expect(names.slice().sort()).toEqual([...model.keys()].sort());
          if (state.service !== 'running') expect(state.readers).toEqual([]);
          for (const reader of state.readers) {
            expect(reader.atr === null).toBe(!model.get(reader.name));
            if (reader.atr === null) expect(reader.connectFailed).toBeUndefined();
            expect(reader.cardSeq).toBeGreaterThanOrEqual(0);
            const before = prev.readers.find((r) => r.name === reader.name);
            if (before) {
              expect(reader.cardSeq).toBeGreaterThanOrEqual(before.cardSeq);
              // cardSeq moves only on an insertion into this reader, and by exactly one.
              const inserted = event.type === 'card-inserted' && event.name === reader.name;
              expect(reader.cardSeq - before.cardSeq).toBe(inserted ? 1 : 0);
            }
          }
          // An event that changes nothing gives back the same object.
          if (JSON.stringify(state) === JSON.stringify(prev)) expect(state).toBe(prev);
        }
      }),
      { numRuns: 500 },
    );
  });
});
