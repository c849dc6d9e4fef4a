import { describe, expect, it } from 'vitest';
import { DriverError, isDriverError } from '../errors.ts';
import { InProcessChannel } from '../virtual/in-process.ts';
import { TEST_CARD_AID, TEST_CARD_SELECT_ANSWER, TestCard, patternBytes } from '../virtual/test-card.ts';
import { ApduRingLog } from './apdu-log.ts';
import { type CommandApdu, toHex } from './apdu.ts';
import { ApduTransport, type RawChannel, type TransportOptions } from './transport.ts';

const SELECT: CommandApdu = { cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00, data: TEST_CARD_AID, name: 'SELECT' };
const big = (n: number): CommandApdu => ({ cla: 0x80, ins: 0x12, p1: n >> 8, p2: n & 0xff, name: 'BIG' });
const slow = (ms: number): CommandApdu => ({ cla: 0x80, ins: 0x16, p1: ms >> 8, p2: ms & 0xff, name: 'SLOW' });
const echo = (data: Uint8Array): CommandApdu => ({ cla: 0x80, ins: 0x10, p1: 0, p2: 0, data, name: 'ECHO' });

async function selectedTestCard(options: { chunk?: number } & TransportOptions = {}) {
  const card = new TestCard(options.chunk === undefined ? {} : { chunk: options.chunk });
  const channel = new InProcessChannel('Test reader', card);
  const transport = new ApduTransport(channel, options);
  const select = await transport.send(SELECT);
  expect(select.sw).toBe(0x9000);
  transport.exchanges = 0;
  return { card, channel, transport };
}

async function rejection(promise: Promise<unknown>): Promise<DriverError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(DriverError);
    return error as DriverError;
  }
  throw new Error('expected a rejection');
}

/** Wraps a channel and records the highest number of transmits in flight at once. */
function counting(inner: RawChannel) {
  const stats = { inFlight: 0, maxInFlight: 0, calls: 0, ended: [] as number[] };
  const channel: RawChannel = {
    readerName: inner.readerName,
    async transmit(apdu, max) {
      stats.calls += 1;
      stats.inFlight += 1;
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
      try {
        return await inner.transmit(apdu, max);
      } finally {
        stats.inFlight -= 1;
        stats.ended.push(performance.now());
      }
    },
  };
  return { channel, stats };
}

describe('ApduTransport with the in-process test card', () => {
  it('SELECT round trip', async () => {
    const card = new TestCard();
    const transport = new ApduTransport(new InProcessChannel('Test reader', card));
    expect(transport.readerName).toBe('Test reader');
    const response = await transport.send(SELECT);
    expect(response.sw).toBe(0x9000);
    expect(new TextDecoder().decode(response.data)).toBe(new TextDecoder().decode(TEST_CARD_SELECT_ANSWER));
    expect(transport.exchanges).toBe(1);
    expect(card.received).toEqual([toHex(Uint8Array.from([0x00, 0xa4, 0x04, 0x00, TEST_CARD_AID.length, ...TEST_CARD_AID]))]);
  });

  it('passes other status words through unchanged', async () => {
    const { transport } = await selectedTestCard();
    expect((await transport.send({ cla: 0x80, ins: 0x7f, p1: 0, p2: 0 })).sw).toBe(0x6d00);
    expect((await transport.send({ cla: 0x90, ins: 0x10, p1: 0, p2: 0 })).sw).toBe(0x6e00);
    const echoed = await transport.send(echo(Uint8Array.from([1, 2, 3])));
    expect(echoed).toEqual({ data: Uint8Array.from([1, 2, 3]), sw: 0x9000 });
  });

  describe('61xx: GET RESPONSE until done', () => {
    const sizes = [0, 1, 239, 240, 241, 255, 256, 257, 700, 4000];
    const chunks = [1, 16, 240, 256];
    for (const chunk of chunks) {
      it.each(sizes)(`chunk ${chunk}: BIG %i gives the pattern, in 1 + ceil(n/chunk) exchanges`, async (n) => {
        const { card, transport } = await selectedTestCard({ chunk, maxResponseChunks: 5000 });
        const response = await transport.send(big(n));
        expect(response.sw).toBe(0x9000);
        expect(response.data.length).toBe(n);
        expect(Buffer.from(response.data).equals(Buffer.from(patternBytes(n)))).toBe(true);
        expect(transport.exchanges).toBe(1 + Math.ceil(n / chunk));
        // Every GET RESPONSE asked for exactly what the card offered (no 6Cxx correction needed).
        const getResponses = card.received.filter((c) => c.startsWith('00c00000'));
        expect(getResponses.length).toBe(Math.ceil(n / chunk));
        for (const [i, command] of getResponses.entries()) {
          const expected = Math.min(n - i * chunk, chunk, 256);
          expect(command).toBe('00c00000' + (expected % 256).toString(16).padStart(2, '0'));
        }
      });
    }

    it('the default bound on GET RESPONSE rounds stops a long chain (300 rounds)', async () => {
      const { transport } = await selectedTestCard({ chunk: 1 });
      const error = await rejection(transport.send(big(4000)));
      expect(error.code).toBe('BAD_RESPONSE');
      expect(error.info.chunks).toBe(300);
      expect(transport.exchanges).toBe(1 + 300);
    });

    it('maxResponseChunks is an exact bound', async () => {
      const ok = await selectedTestCard({ chunk: 16, maxResponseChunks: 44 });
      expect((await ok.transport.send(big(700))).data.length).toBe(700); // ceil(700/16) = 44 rounds
      const tooFew = await selectedTestCard({ chunk: 16, maxResponseChunks: 43 });
      expect((await rejection(tooFew.transport.send(big(700)))).code).toBe('BAD_RESPONSE');
    });
  });

  describe('6Cxx: re-send with the exact Le', () => {
    it.each([undefined, 1, 5, 31, 33, 256])('EXACT with Le %s is re-sent with Le 32', async (le) => {
      const { card, transport } = await selectedTestCard();
      card.received.length = 0;
      const command: CommandApdu = le === undefined ? { cla: 0x80, ins: 0x14, p1: 0, p2: 0 } : { cla: 0x80, ins: 0x14, p1: 0, p2: 0, le };
      const response = await transport.send(command);
      expect(response.sw).toBe(0x9000);
      expect(response.data).toEqual(patternBytes(32));
      expect(transport.exchanges).toBe(2);
      expect(card.received.at(-1)).toBe('8014000020');
    });

    it('EXACT with Le 32 needs one exchange', async () => {
      const { transport } = await selectedTestCard();
      const response = await transport.send({ cla: 0x80, ins: 0x14, p1: 0, p2: 0, le: 32 });
      expect(response.data).toEqual(patternBytes(32));
      expect(transport.exchanges).toBe(1);
    });

    it('gives up after two 6Cxx corrections and returns the last answer', async () => {
      let calls = 0;
      const channel: RawChannel = {
        readerName: 'stubborn',
        async transmit() {
          calls += 1;
          return Uint8Array.from([0x6c, 0x10]);
        },
      };
      const transport = new ApduTransport(channel);
      const response = await transport.send({ cla: 0x80, ins: 0x14, p1: 0, p2: 0 });
      expect(response.sw).toBe(0x6c10);
      expect(calls).toBe(3);
    });
  });

  it('a card answering 61xx forever ends in BAD_RESPONSE after a bounded number of rounds', async () => {
    const seen: string[] = [];
    const channel: RawChannel = {
      readerName: 'endless',
      async transmit(apdu) {
        seen.push(toHex(apdu));
        return Uint8Array.from([...new Uint8Array(16).fill(0x55), 0x61, 0x10]);
      },
    };
    const transport = new ApduTransport(channel, { maxResponseChunks: 5 });
    const error = await rejection(transport.send({ cla: 0x80, ins: 0x12, p1: 0, p2: 0 }));
    expect(error.code).toBe('BAD_RESPONSE');
    expect(error.info.reader).toBe('endless');
    expect(seen.length).toBe(1 + 5);
    expect(seen.slice(1).every((c) => c === '00c0000010')).toBe(true);

    const withDefault = new ApduTransport(channel);
    seen.length = 0;
    expect((await rejection(withDefault.send({ cla: 0x80, ins: 0x12, p1: 0, p2: 0 }))).code).toBe('BAD_RESPONSE');
    expect(seen.length).toBe(1 + 300);
  });

  describe('timeouts', () => {
    it('a command slower than its timeout fails with TIMEOUT', async () => {
      const { transport } = await selectedTestCard();
      const started = performance.now();
      const error = await rejection(transport.send(slow(300), { timeoutMs: 30 }));
      expect(error.code).toBe('TIMEOUT');
      expect(error.info.timeoutMs).toBe(30);
      expect(performance.now() - started).toBeLessThan(250);
    });

    it('the transport default timeout applies when the command has none', async () => {
      const { transport } = await selectedTestCard({ timeoutMs: 25 });
      expect((await rejection(transport.send(slow(200)))).code).toBe('TIMEOUT');
    });

    it('a command within its timeout succeeds', async () => {
      const { transport } = await selectedTestCard();
      expect((await transport.send(slow(20), { timeoutMs: 1000 })).sw).toBe(0x9000);
    });

    it('the next command waits for the abandoned transmit: transmits never overlap', async () => {
      const card = new TestCard();
      const { channel, stats } = counting(new InProcessChannel('Test reader', card));
      const transport = new ApduTransport(channel);
      await transport.send(SELECT);
      const started = performance.now();
      expect((await rejection(transport.send(slow(400), { timeoutMs: 20 }))).code).toBe('TIMEOUT');
      const timedOutAt = performance.now() - started;
      expect(timedOutAt).toBeLessThan(300);
      const answer = await transport.send(echo(Uint8Array.from([0x42])));
      const answeredAt = performance.now() - started;
      expect(answer).toEqual({ data: Uint8Array.from([0x42]), sw: 0x9000 });
      // The echo could only be sent once the slow transmit had finished.
      expect(answeredAt).toBeGreaterThanOrEqual(390);
      expect(stats.maxInFlight).toBe(1);
      expect(card.received.slice(1).map((c) => c.slice(0, 4))).toEqual(['8016', '8010']);
    });

    it('many concurrent sends are serialised', async () => {
      const card = new TestCard();
      const { channel, stats } = counting(new InProcessChannel('Test reader', card));
      const transport = new ApduTransport(channel);
      await transport.send(SELECT);
      const results = await Promise.allSettled([
        transport.send(slow(30), { timeoutMs: 5 }),
        transport.send(slow(10)),
        transport.send(big(600)),
        transport.send(echo(Uint8Array.from([1]))),
        transport.send(slow(20), { timeoutMs: 5 }),
        transport.send({ cla: 0x80, ins: 0x14, p1: 0, p2: 0, le: 1 }),
      ]);
      expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      expect(stats.maxInFlight).toBe(1);
      const third = results[2]!;
      expect(third.status === 'fulfilled' && third.value.data.length).toBe(600);
    });
  });

  describe('cancellation', () => {
    it('an already aborted signal fails with CANCELLED before anything is sent', async () => {
      const { card, transport } = await selectedTestCard();
      const before = card.received.length;
      const controller = new AbortController();
      controller.abort();
      const error = await rejection(transport.send(echo(Uint8Array.from([1])), { signal: controller.signal }));
      expect(error.code).toBe('CANCELLED');
      expect(card.received.length).toBe(before);
      expect(transport.exchanges).toBe(0);
    });

    it('aborting during a command fails it with CANCELLED promptly, and the next command still works', async () => {
      const card = new TestCard();
      const { channel, stats } = counting(new InProcessChannel('Test reader', card));
      const transport = new ApduTransport(channel);
      await transport.send(SELECT);
      const controller = new AbortController();
      const started = performance.now();
      setTimeout(() => controller.abort(), 20);
      const error = await rejection(transport.send(slow(400), { signal: controller.signal }));
      expect(error.code).toBe('CANCELLED');
      expect(performance.now() - started).toBeLessThan(300);
      const answer = await transport.send(echo(Uint8Array.from([7])));
      expect(answer.sw).toBe(0x9000);
      expect(performance.now() - started).toBeGreaterThanOrEqual(390);
      expect(stats.maxInFlight).toBe(1);
    });

    it('aborting while queued behind another command cancels before sending', async () => {
      const { card, transport } = await selectedTestCard();
      const first = transport.send(slow(60));
      const controller = new AbortController();
      const second = transport.send(echo(Uint8Array.from([9])), { signal: controller.signal });
      controller.abort();
      expect((await rejection(second)).code).toBe('CANCELLED');
      expect((await first).sw).toBe(0x9000);
      expect(card.received.some((c) => c.startsWith('8010'))).toBe(false);
    });
  });

  describe('failures', () => {
    it('a channel throwing a plain Error becomes TRANSMIT_FAILED with the cause', async () => {
      const boom = new Error('reader unplugged mid-frame');
      const channel: RawChannel = {
        readerName: 'broken',
        transmit: async () => {
          throw boom;
        },
      };
      const error = await rejection(new ApduTransport(channel).send(SELECT));
      expect(error.code).toBe('TRANSMIT_FAILED');
      expect(error.cause).toBe(boom);
      expect(error.info.reader).toBe('broken');
    });

    it('a DriverError from the channel passes through unchanged', async () => {
      const original = new DriverError('NO_CARD', 'no card');
      const channel: RawChannel = {
        readerName: 'empty',
        transmit: async () => {
          throw original;
        },
      };
      expect(await rejection(new ApduTransport(channel).send(SELECT))).toBe(original);
    });

    it('a card removed from the reader during SLOW gives CARD_REMOVED, then NO_CARD', async () => {
      const { channel, transport } = await selectedTestCard();
      setTimeout(() => channel.remove(), 20);
      const error = await rejection(transport.send(slow(100)));
      expect(error.code).toBe('CARD_REMOVED');
      expect(isDriverError(await rejection(transport.send(SELECT)), 'NO_CARD')).toBe(true);
    });

    it.each([[[]], [[0x90]]])('an answer of %j (shorter than a status word) is BAD_RESPONSE', async (answer) => {
      const channel: RawChannel = { readerName: 'short', transmit: async () => Uint8Array.from(answer) };
      expect((await rejection(new ApduTransport(channel).send(SELECT))).code).toBe('BAD_RESPONSE');
    });

    it('asks the channel for a short or extended receive buffer as the command needs', async () => {
      const sizes: number[] = [];
      const channel: RawChannel = {
        readerName: 'sizes',
        transmit: async (_apdu, max) => {
          sizes.push(max);
          return Uint8Array.from([0x90, 0x00]);
        },
      };
      const transport = new ApduTransport(channel);
      await transport.send({ cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 256 });
      await transport.send({ cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 257 });
      await transport.send({ cla: 0, ins: 0xb0, p1: 0, p2: 0 });
      expect(sizes).toEqual([258, 65538, 258]);
    });

    it('a command that cannot be encoded is BAD_APDU and is never sent', async () => {
      const { card, transport } = await selectedTestCard();
      const before = card.received.length;
      expect((await rejection(transport.send({ cla: 0x80, ins: 0x10, p1: 0, p2: 0, le: 0 }))).code).toBe('BAD_APDU');
      expect(card.received.length).toBe(before);
    });
  });
});

describe('the redacting APDU log', () => {
  const PIN = new TextEncoder().encode('314159');
  const PIN_HEX = toHex(PIN);

  async function logged() {
    const log = new ApduRingLog();
    const card = new TestCard();
    const transport = new ApduTransport(new InProcessChannel('Test reader', card), { log: log.sink });
    await transport.send(SELECT);
    return { log, transport, card };
  }

  it('logs ordinary commands and answers in full, with SW and timing', async () => {
    const { log } = await logged();
    const [command, response] = log.list();
    expect(command).toMatchObject({ reader: 'Test reader', direction: 'command', name: 'SELECT', text: '00a404000c' + toHex(TEST_CARD_AID) });
    expect(response).toMatchObject({ direction: 'response', name: 'SELECT', sw: '9000', text: `${toHex(TEST_CARD_SELECT_ANSWER)} 9000` });
    expect(typeof response!.elapsedMs).toBe('number');
  });

  it('a sensitive command shows only its header and the length of the rest', async () => {
    const { log, card } = await logged();
    await transport(card, log).send({ ...echo(PIN), sensitive: true, sensitiveResponse: true, name: 'SET PIN' });
    const entries = log.list().filter((e) => e.name === 'SET PIN');
    // Lc + 6 PIN bytes follow the header.
    expect(entries[0]!.text).toBe('80100000 <redacted 7 bytes>');
    expect(entries[1]!.text).toBe('<redacted 6 bytes> 9000');
    expect(entries[1]!.sw).toBe('9000');
  });

  it('an ISO VERIFY (CLA 00 INS 20) is redacted without being marked sensitive', async () => {
    const { log, transport: t } = await logged();
    const response = await t.send({ cla: 0x00, ins: 0x20, p1: 0x00, p2: 0x80, data: PIN, name: 'VERIFY' });
    expect(response.sw).toBe(0x6e00);
    const verify = log.list().find((e) => e.name === 'VERIFY' && e.direction === 'command');
    expect(verify!.text).toBe('00200080 <redacted 7 bytes>');
    // Also CHANGE REFERENCE DATA and RESET RETRY COUNTER, and secure-messaging CLAs (0C) of the interindustry class.
    await t.send({ cla: 0x00, ins: 0x24, p1: 0, p2: 0x80, data: PIN, name: 'CHANGE' });
    await t.send({ cla: 0x00, ins: 0x2c, p1: 0, p2: 0x80, data: PIN, name: 'RESET' });
    await t.send({ cla: 0x0c, ins: 0x20, p1: 0, p2: 0x80, data: PIN, name: 'VERIFY SM' });
    for (const name of ['CHANGE', 'RESET', 'VERIFY SM']) {
      expect(log.list().find((e) => e.name === name && e.direction === 'command')!.text).toMatch(/^[0-9a-f]{8} <redacted 7 bytes>$/);
    }
  });

  it('a proprietary CLA 80 INS 20 is not redacted', async () => {
    const { log, transport: t } = await logged();
    const data = Uint8Array.from([0xde, 0xad]);
    const response = await t.send({ cla: 0x80, ins: 0x20, p1: 0, p2: 0, data, name: 'PROPRIETARY' });
    expect(response.sw).toBe(0x6d00);
    expect(log.list().find((e) => e.name === 'PROPRIETARY' && e.direction === 'command')!.text).toBe('8020000002dead');
  });

  it('sensitiveResponse hides the answer body but keeps the status word, through 61xx chains too', async () => {
    const { log, transport: t } = await logged();
    await t.send({ ...echo(Uint8Array.from([0xca, 0xfe])), sensitiveResponse: true, name: 'SECRET ECHO' });
    const answer = log.list().find((e) => e.name === 'SECRET ECHO' && e.direction === 'response')!;
    expect(answer.text).toBe('<redacted 2 bytes> 9000');
    expect(answer.sw).toBe('9000');
    expect(log.list().find((e) => e.name === 'SECRET ECHO' && e.direction === 'command')!.text).toBe('8010000002cafe');

    await t.send({ ...big(300), sensitiveResponse: true, name: 'SECRET BIG' });
    const texts = log.list().map((e) => e.text).join('\n');
    // patternBytes(300) starts 030a11...; no 8-byte run of it appears in the log.
    const pattern = toHex(patternBytes(300));
    for (let i = 0; i + 16 <= pattern.length; i += 16) expect(texts).not.toContain(pattern.slice(i, i + 16));
    const getResponses = log.list().filter((e) => e.name === 'GET RESPONSE' && e.direction === 'response');
    expect(getResponses.length).toBe(2);
    expect(getResponses.every((e) => e.text.startsWith('<redacted '))).toBe(true);
  });

  it('the PIN never appears in any log entry, whatever path the command takes', async () => {
    const { log, card } = await logged();
    const t = transport(card, log);
    await t.send({ cla: 0x00, ins: 0x20, p1: 0, p2: 0x81, data: PIN, name: 'VERIFY' });
    await t.send({ ...echo(PIN), sensitive: true, sensitiveResponse: true });
    await t.send({ cla: 0x80, ins: 0x14, p1: 0, p2: 0, data: PIN, le: 3, sensitive: true }); // 6C20 -> re-sent
    await t.send({ cla: 0x80, ins: 0x12, p1: 0x01, p2: 0x00, data: PIN, sensitive: true, sensitiveResponse: true });
    const entries = log.list();
    expect(entries.length).toBeGreaterThan(8);
    for (const entry of entries) expect(JSON.stringify(entry)).not.toContain(PIN_HEX);
  });

  it('the ring keeps only the last entries', () => {
    const ring = new ApduRingLog(3);
    for (let i = 0; i < 5; i += 1) ring.sink({ reader: 'r', direction: 'command', text: String(i) });
    expect(ring.list().map((e) => e.text)).toEqual(['2', '3', '4']);
  });
});

function transport(card: TestCard, log: ApduRingLog): ApduTransport {
  // The card stays selected: the channel is new but the emulator is the same object.
  return new ApduTransport(new InProcessChannel('Test reader', card), { log: log.sink });
}
