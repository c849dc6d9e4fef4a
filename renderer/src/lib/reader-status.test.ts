import { describe, expect, it } from 'vitest';
import type { CardView, ReadersSnapshot, ReaderView } from '../../../preload/contract.ts';
import {
  DEFAULT_HINTS,
  WAITING_TEXT,
  capabilityLabels,
  cardDisplay,
  describeChanges,
  errorText,
  familyLabel,
  formatHex,
  hexByteLength,
  isReadersSnapshot,
  pickSnapshot,
  readerKindLabel,
  serviceDisplay,
  splitHintCommand,
} from './reader-status.ts';
import { BridgeError } from '../../../preload/contract.ts';

const SATOCHIP_ATR = '3b00';
const snap = (partial: Partial<ReadersSnapshot> = {}): ReadersSnapshot => ({ service: 'running', readers: [], revision: 1, ...partial });
const reader = (name: string, card: CardView | null = null, kind: ReaderView['kind'] = 'pcsc'): ReaderView => ({ name, kind, card });

describe('serviceDisplay', () => {
  it('shows loading before the first snapshot', () => {
    expect(serviceDisplay(null)?.state).toBe('loading');
  });

  it('maps not-running to no-pcsc with the snapshot hint', () => {
    const d = serviceDisplay(snap({ service: 'not-running', hint: 'sudo systemctl start pcscd' }));
    expect(d).toMatchObject({ state: 'no-pcsc', tone: 'warning', title: 'PC/SC service is not running', hint: 'sudo systemctl start pcscd' });
  });

  it('falls back to a default hint when the snapshot has none (or a blank one)', () => {
    expect(serviceDisplay(snap({ service: 'not-running' }))?.hint).toBe(DEFAULT_HINTS['not-running']);
    expect(serviceDisplay(snap({ service: 'not-running', hint: '   ' }))?.hint).toBe(DEFAULT_HINTS['not-running']);
  });

  it('maps unavailable to pcsc-unavailable with the hint', () => {
    const d = serviceDisplay(snap({ service: 'unavailable', hint: 'apt install pcscd' }));
    expect(d).toMatchObject({ state: 'pcsc-unavailable', tone: 'error', hint: 'apt install pcscd' });
  });

  it('maps running with no readers to no-reader with a plug-in hint', () => {
    const d = serviceDisplay(snap({ service: 'running', readers: [] }));
    expect(d?.state).toBe('no-reader');
    expect(d?.title).toBe('No reader connected');
    expect(d?.hint).toMatch(/plug/i);
    expect(d?.hint).toMatch(/USB/);
  });

  it('maps starting to starting', () => {
    expect(serviceDisplay(snap({ service: 'starting' }))?.state).toBe('starting');
  });

  it('shows no banner when running with at least one reader (demo included)', () => {
    expect(serviceDisplay(snap({ readers: [reader('ACS ACR1252 1S CL Reader PICC 0')] }))).toBeNull();
    expect(serviceDisplay(snap({ readers: [reader('Tapdesk demo reader', null, 'demo')] }))).toBeNull();
  });

  it('keeps the service banner when pcscd is down even if a demo reader is listed', () => {
    expect(serviceDisplay(snap({ service: 'not-running', readers: [reader('Demo', null, 'demo')] }))?.state).toBe('no-pcsc');
  });
});

describe('pickSnapshot (revision ordering)', () => {
  it('takes the first snapshot', () => {
    const s = snap({ revision: 3 });
    expect(pickSnapshot(null, s)).toBe(s);
  });

  it('takes a newer snapshot', () => {
    const a = snap({ revision: 3 });
    const b = snap({ revision: 4, service: 'not-running' });
    expect(pickSnapshot(a, b)).toBe(b);
  });

  it('ignores a stale snapshot (lower revision)', () => {
    const newer = snap({ revision: 7, readers: [reader('R1')] });
    const stale = snap({ revision: 6, readers: [] });
    expect(pickSnapshot(newer, stale)).toBe(newer);
  });

  it('folds an out-of-order stream to the highest revision', () => {
    const stream = [5, 2, 9, 8, 9, 1].map((revision) => snap({ revision }));
    const kept = stream.reduce<ReadersSnapshot | null>((cur, s) => pickSnapshot(cur, s), null);
    expect(kept?.revision).toBe(9);
    expect(kept).toBe(stream[4]); // an equal revision replaces
  });

  it('the list answer arriving after a newer event does not roll back', () => {
    const event = snap({ revision: 11, readers: [reader('R', { status: 'identified', atr: SATOCHIP_ATR, product: 'Satochip' })] });
    const listAnswer = snap({ revision: 10, readers: [reader('R')] });
    expect(pickSnapshot(pickSnapshot(null, event), listAnswer)).toBe(event);
  });
});

describe('isReadersSnapshot', () => {
  it('accepts a well-formed snapshot and refuses junk', () => {
    expect(isReadersSnapshot(snap({ readers: [reader('R')] }))).toBe(true);
    expect(isReadersSnapshot(null)).toBe(false);
    expect(isReadersSnapshot({ service: 'running', readers: [] })).toBe(false);
    expect(isReadersSnapshot({ service: 'running', readers: {}, revision: 1 })).toBe(false);
    expect(isReadersSnapshot({ service: 'running', readers: [{}], revision: 1 })).toBe(false);
    expect(isReadersSnapshot({ service: 'running', readers: [], revision: Number.NaN })).toBe(false);
  });
});

describe('cardDisplay', () => {
  it('waiting when there is no card', () => {
    const d = cardDisplay(null);
    expect(d.state).toBe('waiting');
    expect(d.title).toBe(WAITING_TEXT);
    expect(d.title).toMatch(/tap or insert/);
    expect(d.atr).toBe('');
  });

  it('identifying keeps the ATR', () => {
    const d = cardDisplay({ status: 'identifying', atr: '3b8f8001' });
    expect(d.state).toBe('identifying');
    expect(d.atr).toBe('3B 8F 80 01');
  });

  it('identified: product, family, aid, details and capabilities', () => {
    const d = cardDisplay({
      status: 'identified',
      atr: '3b00',
      family: 'satochip',
      product: 'Satochip',
      aid: '5361746f43686970',
      details: { version: '0.12', pin_tries: '5', isSeeded: 'yes' },
      capabilities: { sign: ['btc', 'eth'], backup: 'none', attestation: 'satochip-pki' },
    });
    expect(d.state).toBe('identified');
    expect(d.title).toBe('Satochip');
    expect(d.family).toBe('Satochip');
    expect(d.aid).toBe('53 61 74 6F 43 68 69 70');
    expect(d.details).toEqual([
      { key: 'version', label: 'Version', value: '0.12' },
      { key: 'pin_tries', label: 'Pin tries', value: '5' },
      { key: 'isSeeded', label: 'Is seeded', value: 'yes' },
    ]);
    expect(d.capabilities).toEqual(['Signs Bitcoin', 'Signs Ethereum', 'Attestation: Satochip certificate']);
  });

  it('identified without a product name falls back to the family', () => {
    const d = cardDisplay({ status: 'identified', atr: '', family: 'keycard' });
    expect(d.title).toBe('Status Keycard');
    expect(d.aid).toBeUndefined();
    expect(d.details).toEqual([]);
    expect(d.capabilities).toEqual([]);
    expect(cardDisplay({ status: 'identified', atr: '' }).title).toBe('Identified card');
  });

  it('unknown shows the ATR and what is supported', () => {
    const d = cardDisplay({ status: 'unknown', atr: '3B8F8001804F0CA000000306030001000000006A' });
    expect(d.state).toBe('unknown');
    expect(d.title).toBe('Unknown card');
    expect(d.atr).toBe('3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A');
    expect(d.hint).toMatch(/Satochip/);
  });

  it('error shows the message, hint and code', () => {
    const d = cardDisplay({ status: 'error', atr: '3b00', error: { code: 'TIMEOUT', message: 'The card did not answer in time', hint: 'Hold the card still' } });
    expect(d).toMatchObject({ state: 'error', message: 'The card did not answer in time', hint: 'Hold the card still', errorCode: 'TIMEOUT' });
  });

  it('error without details still says something useful', () => {
    const d = cardDisplay({ status: 'error', atr: '' });
    expect(d.state).toBe('error');
    expect(d.message).toBeTruthy();
    expect(d.hint).toBeTruthy();
    expect(d.errorCode).toBeUndefined();
  });
});

describe('formatHex (ATR formatting)', () => {
  it('groups bytes, upper case', () => {
    expect(formatHex('3b8f8001')).toBe('3B 8F 80 01');
  });
  it('ignores separators already present', () => {
    expect(formatHex('3b:8f-80 01')).toBe('3B 8F 80 01');
    expect(formatHex(' 3B 8F ')).toBe('3B 8F');
  });
  it('keeps a trailing odd nibble', () => {
    expect(formatHex('3b8')).toBe('3B 8');
  });
  it('empty and missing give the empty string', () => {
    expect(formatHex('')).toBe('');
    expect(formatHex(undefined)).toBe('');
    expect(formatHex(null)).toBe('');
  });
  it('returns non-hex input unchanged (trimmed) rather than hide it', () => {
    expect(formatHex(' not hex ')).toBe('not hex');
  });
  it('counts bytes', () => {
    expect(hexByteLength('3b 8f 80')).toBe(3);
    expect(hexByteLength('3b8')).toBeNull();
    expect(hexByteLength('')).toBe(0);
  });
});

describe('labels', () => {
  it('reader kinds', () => {
    expect(readerKindLabel({ kind: 'demo' })).toBe('Demo');
    expect(readerKindLabel({ kind: 'pcsc' })).toBe('PC/SC reader');
  });
  it('families', () => {
    expect(familyLabel('cktap')).toMatch(/TAPSIGNER/);
    expect(familyLabel('seedkeeper')).toBe('Seedkeeper');
    expect(familyLabel(undefined)).toBeUndefined();
  });
  it('capabilities', () => {
    expect(capabilityLabels(undefined)).toEqual([]);
    expect(capabilityLabels({ sign: [], backup: 'cktap-backup', attestation: 'cktap-certificate' })).toEqual([
      'Backup: encrypted backup file',
      'Attestation: Coinkite certificate',
    ]);
  });
});

describe('describeChanges (live region)', () => {
  const r = 'Virtual PCD 00 00';
  it('says nothing for the first snapshot', () => {
    expect(describeChanges(null, snap({ readers: [reader(r)] }))).toEqual([]);
  });
  it('announces reader hot-plug', () => {
    const a = snap({ readers: [] });
    const b = snap({ revision: 2, readers: [reader(r)] });
    expect(describeChanges(a, b)).toEqual([`Reader ${r} connected`]);
    expect(describeChanges(b, snap({ revision: 3, readers: [] }))).toEqual(['No reader connected', `Reader ${r} disconnected`]);
  });
  it('announces card arrival, identification and removal', () => {
    const empty = snap({ readers: [reader(r)] });
    const identifying = snap({ revision: 2, readers: [reader(r, { status: 'identifying', atr: '3b00' })] });
    const identified = snap({ revision: 3, readers: [reader(r, { status: 'identified', atr: '3b00', product: 'TAPSIGNER' })] });
    expect(describeChanges(empty, identifying)).toEqual([`${r}: identifying card`]);
    expect(describeChanges(identifying, identified)).toEqual([`${r}: TAPSIGNER ready`]);
    expect(describeChanges(identified, snap({ revision: 4, readers: [reader(r)] }))).toEqual([`${r}: card removed`]);
  });
  it('is quiet when nothing about the card changed', () => {
    const a = snap({ readers: [reader(r, { status: 'unknown', atr: '3b00' })] });
    const b = snap({ revision: 2, readers: [reader(r, { status: 'unknown', atr: '3b00' })] });
    expect(describeChanges(a, b)).toEqual([]);
  });
  it('announces a service change', () => {
    const a = snap({ readers: [reader(r)] });
    const b = snap({ revision: 2, service: 'not-running', readers: [] });
    expect(describeChanges(a, b)).toContain('PC/SC service is not running');
  });
});

describe('errorText', () => {
  it('keeps the BridgeError hint', () => {
    expect(errorText(new BridgeError('NO_PCSC', 'pcscd is down', 'sudo systemctl start pcscd'))).toEqual({
      message: 'pcscd is down',
      hint: 'sudo systemctl start pcscd',
    });
    expect(errorText(new Error('boom'))).toEqual({ message: 'boom' });
    expect(errorText('x')).toEqual({ message: 'x' });
  });
});

describe('splitHintCommand', () => {
  it('pulls a trailing shell command out of a hint', () => {
    expect(splitHintCommand('sudo systemctl start pcscd')).toEqual({ lead: '', command: 'sudo systemctl start pcscd' });
    expect(splitHintCommand('Start it with: sudo systemctl start pcscd')).toEqual({ lead: 'Start it with:', command: 'sudo systemctl start pcscd' });
    expect(splitHintCommand('Plug a USB reader into this computer.')).toEqual({ lead: 'Plug a USB reader into this computer.', command: null });
  });
});
