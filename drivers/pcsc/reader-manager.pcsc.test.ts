/**
 * Tier 2: the reader manager and the APDU transport through the real pcscd, with emulators
 * plugged into both vpcd readers.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isDriverError } from '../errors.ts';
import { selectCommand } from '../card.ts';
import { ensurePcscd, insertVirtualCard } from '../virtual/pcscd-harness.ts';
import { TEST_CARD_AID, TestCard, patternBytes } from '../virtual/test-card.ts';
import type { VpcdCard } from '../virtual/vpcd.ts';
import { VPCD_READER_NAMES } from '../virtual/vpcd.ts';
import { PcscReaderManager } from './reader-manager.ts';
import type { PcscState } from './reader-state.ts';
import { ApduTransport } from './transport.ts';

const [READER_0, READER_1] = VPCD_READER_NAMES;
const atrOf = (state: PcscState, name: string) => state.readers.find((r) => r.name === name)?.atr;

describe('PC/SC through pcscd + vpcd', () => {
  let manager: PcscReaderManager;
  const cards: VpcdCard[] = [];
  const insert = async (card: TestCard, slot: 0 | 1) => {
    const attached = await insertVirtualCard(card, slot);
    cards.push(attached);
    await manager.waitFor((s) => Boolean(atrOf(s, VPCD_READER_NAMES[slot])), 5000);
    return attached;
  };

  beforeAll(async () => {
    const pcscd = await ensurePcscd();
    if (!pcscd.running) throw new Error(`pcscd is needed: ${pcscd.problem}`);
    manager = new PcscReaderManager();
    await manager.start();
  });

  afterEach(async () => {
    while (cards.length) await cards.pop()!.remove();
    await manager.waitFor((s) => s.readers.every((r) => r.atr === null), 5000);
  });

  afterAll(async () => {
    await manager?.close();
  });

  it('lists every reader pcscd has, both virtual ones', async () => {
    const state = await manager.waitFor((s) => s.readers.length >= 2, 5000);
    expect(state.service).toBe('running');
    const names = state.readers.map((r) => r.name);
    expect(names).toContain(READER_0);
    expect(names).toContain(READER_1);
  });

  it('reports insertion with the ATR and removal', async () => {
    const card = new TestCard();
    const events: string[] = [];
    const off = manager.onChange((s) => events.push(`${atrOf(s, READER_0) ? 'present' : 'empty'}`));
    const attached = await insert(card, 0);
    expect(atrOf(manager.state(), READER_0)).toBe(Buffer.from(card.atr).toString('hex'));
    await attached.remove();
    await manager.waitFor((s) => atrOf(s, READER_0) === null, 5000);
    off();
    expect(events).toContain('present');
    expect(events.at(-1)).toBe('empty');
  });

  it('exchanges APDUs: SELECT, ECHO of 255 bytes', async () => {
    await insert(new TestCard(), 0);
    const transport = new ApduTransport(manager.channel(READER_0));
    const select = await transport.send(selectCommand(TEST_CARD_AID));
    expect(select.sw).toBe(0x9000);
    expect(new TextDecoder().decode(select.data)).toMatch(/^Tapdesk test card/);
    const body = patternBytes(255);
    const echo = await transport.send({ cla: 0x80, ins: 0x10, p1: 0, p2: 0, data: body, le: 256 });
    expect(echo.sw).toBe(0x9000);
    expect(Buffer.from(echo.data).equals(Buffer.from(body))).toBe(true);
  });

  it('follows 61xx with GET RESPONSE and 6Cxx with a re-send, through pcscd', async () => {
    const card = new TestCard({ chunk: 100 });
    await insert(card, 0);
    const transport = new ApduTransport(manager.channel(READER_0));
    await transport.send(selectCommand(TEST_CARD_AID));
    const before = transport.exchanges;
    const big = await transport.send({ cla: 0x80, ins: 0x12, p1: 0x01, p2: 0xf4 }); // 500 bytes
    expect(big.sw).toBe(0x9000);
    expect(Buffer.from(big.data).equals(Buffer.from(patternBytes(500)))).toBe(true);
    expect(transport.exchanges - before).toBe(1 + 5);
    expect(card.received.filter((apdu) => apdu.startsWith('00c00000')).length).toBe(5);
    const exact = await transport.send({ cla: 0x80, ins: 0x14, p1: 0, p2: 0, le: 5 });
    expect(exact.sw).toBe(0x9000);
    expect(exact.data.length).toBe(32);
    expect(card.received.at(-1)).toBe('8014000020');
  });

  it('gives CARD_REMOVED when the card is pulled mid-command', async () => {
    const attached = await insert(new TestCard(), 0);
    const transport = new ApduTransport(manager.channel(READER_0));
    await transport.send(selectCommand(TEST_CARD_AID));
    const slow = transport.send({ cla: 0x80, ins: 0x16, p1: 0x07, p2: 0xd0 }); // 2000 ms
    await new Promise((resolve) => setTimeout(resolve, 300));
    await attached.remove();
    const error = await slow.catch((e: unknown) => e);
    if (!isDriverError(error, 'CARD_REMOVED')) console.error('mid-command removal gave', error, (error as Error)?.cause);
    expect(isDriverError(error, 'CARD_REMOVED')).toBe(true);
  });

  it('binds a channel to one insertion: a card put back is not the same session', async () => {
    const first = await insert(new TestCard(), 0);
    const channel = manager.channel(READER_0);
    await first.remove();
    await manager.waitFor((s) => atrOf(s, READER_0) === null, 5000);
    await insert(new TestCard(), 0);
    const error = await new ApduTransport(channel).send(selectCommand(TEST_CARD_AID)).catch((e: unknown) => e);
    expect(isDriverError(error, 'CARD_REMOVED')).toBe(true);
  });

  it('talks to two cards at once, one per reader', async () => {
    await insert(new TestCard({ serial: 'A' }), 0);
    await insert(new TestCard({ serial: 'B' }), 1);
    const [a, b] = [new ApduTransport(manager.channel(READER_0)), new ApduTransport(manager.channel(READER_1))];
    const [selectA, selectB] = await Promise.all([a.send(selectCommand(TEST_CARD_AID)), b.send(selectCommand(TEST_CARD_AID))]);
    expect(new TextDecoder().decode(selectA.data)).toMatch(/ A$/);
    expect(new TextDecoder().decode(selectB.data)).toMatch(/ B$/);
    const [bigA, bigB] = await Promise.all([
      a.send({ cla: 0x80, ins: 0x12, p1: 0x01, p2: 0x00 }),
      b.send({ cla: 0x80, ins: 0x12, p1: 0x02, p2: 0x00 }),
    ]);
    expect(bigA.data.length).toBe(256);
    expect(bigB.data.length).toBe(512);
  });

  it('gives NO_CARD for an empty reader and NO_READER for an unknown one', () => {
    expect(() => manager.channel(READER_1)).toThrow(expect.objectContaining({ code: 'NO_CARD' }));
    expect(() => manager.channel('No Such Reader 00 00')).toThrow(expect.objectContaining({ code: 'NO_READER' }));
  });
});
