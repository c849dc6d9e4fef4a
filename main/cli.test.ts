import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliIo, runCli } from './cli.ts';
import { DEMO_READER_NAME, ReaderService } from './core/readers.ts';

function capture(): CliIo & { out: (line: string) => void; stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (line) => void stdout.push(line), err: (line) => void stderr.push(line) };
}

describe('tapdesk CLI over the demo reader', () => {
  let service: ReaderService;

  beforeAll(async () => {
    service = new ReaderService({ pcsc: false, demo: 'on' });
    await service.start();
  });

  afterAll(async () => {
    await service.close();
  });

  it('`readers` lists the demo reader with the identified test card', async () => {
    const io = capture();
    expect(await runCli(['readers'], io, service)).toBe(0);
    expect(io.stdout).toEqual([`${DEMO_READER_NAME} [demo]: Tapdesk test card (test)`]);
    expect(io.stderr).toEqual([]);
  });

  it('`readers --json` prints parseable JSON with the reader and its card', async () => {
    const io = capture();
    expect(await runCli(['readers', '--json'], io, service)).toBe(0);
    const parsed = JSON.parse(io.stdout.join('\n'));
    expect(parsed.service).toBe('unavailable');
    expect(parsed.readers).toHaveLength(1);
    expect(parsed.readers[0]).toMatchObject({
      name: DEMO_READER_NAME,
      kind: 'demo',
      card: { status: 'identified', family: 'test', product: 'Tapdesk test card' },
    });
  });

  it('`info --reader NAME --json` shows the card', async () => {
    const io = capture();
    expect(await runCli(['info', '--reader', DEMO_READER_NAME, '--json'], io, service)).toBe(0);
    const parsed = JSON.parse(io.stdout.join('\n'));
    expect(parsed.reader).toBe(DEMO_READER_NAME);
    expect(parsed.card).toMatchObject({ status: 'identified', product: 'Tapdesk test card', family: 'test', details: { answer: 'Tapdesk test card v1 demo' } });
    expect(parsed.card.atr).toMatch(/^3b[0-9a-f]+$/);
  });

  it('`info --reader NAME` prints the card facts as text', async () => {
    const io = capture();
    expect(await runCli(['info', '--reader', DEMO_READER_NAME], io, service)).toBe(0);
    expect(io.stdout[0]).toBe(`reader:  ${DEMO_READER_NAME}`);
    expect(io.stdout[1]).toBe('card:    Tapdesk test card (test)');
    expect(io.stdout).toContain('answer: Tapdesk test card v1 demo');
    expect(io.stdout.some((line) => /^ATR: {5}3b/.test(line))).toBe(true);
    expect(io.stdout.some((line) => line.startsWith('AID:     f0'))).toBe(true);
  });

  it('an unknown reader exits 1 and names the readers there are', async () => {
    const io = capture();
    expect(await runCli(['info', '--reader', 'No such reader'], io, service)).toBe(1);
    expect(io.stdout).toEqual([]);
    expect(io.stderr.join('\n')).toContain('no reader named "No such reader"');
    expect(io.stderr.join('\n')).toContain(JSON.stringify(DEMO_READER_NAME));
  });

  it('`info` without --reader exits 2 with the usage', async () => {
    const io = capture();
    expect(await runCli(['info'], io, service)).toBe(2);
    expect(io.stderr.join('\n')).toContain('info needs --reader NAME');
    expect(io.stderr.join('\n')).toContain('usage:');
  });

  it.each([[['frobnicate']], [[]], [['--json']], [['readers', '--bogus']], [['info', '--reader']]])('%j exits 2 with the usage', async (argv) => {
    const io = capture();
    expect(await runCli(argv, io, service)).toBe(2);
    expect(io.stderr.join('\n')).toContain('usage:');
    expect(io.stdout).toEqual([]);
  });

  it('`attest` never takes a PIN from argv: without TAPDESK_PIN or a terminal it stops with exit 2', async () => {
    const io = capture();
    expect(await runCli(['attest', '--reader', DEMO_READER_NAME], io, service)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/TAPDESK_PIN/);
    const withPinFlag = capture();
    expect(await runCli(['attest', '--reader', DEMO_READER_NAME, '--pin', '1234'], withPinFlag, service)).toBe(2);
  });

  it('`attest` refuses a --trust-root file without certificates', async () => {
    const io = { ...capture(), env: { TAPDESK_PIN: '123456' } };
    expect(await runCli(['attest', '--reader', DEMO_READER_NAME, '--trust-root', 'package.json'], io, service)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/no PEM certificate/);
  });

  it('`attest` on a card that is not a Satochip/Seedkeeper/Keycard is an error, not a verdict', async () => {
    const io = { ...capture(), env: { TAPDESK_PIN: '123456' } };
    expect(await runCli(['attest', '--reader', DEMO_READER_NAME], io, service)).toBe(1);
    expect(io.stdout).toEqual([]);
    expect(io.stderr.join('\n')).toMatch(/^error: attestation needs a Satochip, Seedkeeper or Keycard on this reader \(code=BAD_RESPONSE/);
  });
});
