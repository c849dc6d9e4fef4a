import { describe, expect, it } from 'vitest';
import { BridgeError, type ReadersSnapshot } from '../../../preload/contract.ts';
import { type KeycardWalletForm, checkForm, failureText, holdsNewKeycard, keycardReaderLabel, keycardReaders, lastRole, newWalletRequest, readerNote } from './keycard-wallet.ts';

const form: KeycardWalletForm = {
  first: 'R0',
  backup: 'R1',
  words: 12,
  firstPin: '123456',
  backupPin: '654321',
  replaceExisting: false,
  showWords: true,
  setupNew: false,
  firstPinAgain: '',
  backupPinAgain: '',
  firstPuk: '',
  backupPuk: '',
  firstPukAgain: '',
  backupPukAgain: '',
};

const snapshot: ReadersSnapshot = {
  service: 'running',
  revision: 1,
  readers: [
    { name: 'R0', kind: 'pcsc', card: { status: 'identified', atr: '3b', family: 'keycard', product: 'Keycard' } },
    { name: 'R1', kind: 'pcsc', card: null },
    { name: 'R2', kind: 'pcsc', card: { status: 'identified', atr: '3b', family: 'keycard', product: 'Keycard', details: { initialized: 'no (factory state)' } } },
    { name: 'Demo', kind: 'demo', card: { status: 'identified', atr: '3b', family: 'satochip', product: 'Satochip' } },
  ],
};

describe('new Keycard wallet screen logic', () => {
  it('offers every PC/SC reader (cards may come later), never the demo reader, and says what is on each', () => {
    expect(keycardReaders(snapshot).map((r) => r.name)).toEqual(['R0', 'R1', 'R2']);
    expect(keycardReaderLabel(snapshot.readers[0]!)).toBe('R0 (Keycard)');
    expect(keycardReaderLabel(snapshot.readers[1]!)).toBe('R1 (no card yet)');
    expect(keycardReaderLabel(snapshot.readers[2]!)).toBe('R2 (new Keycard, not set up)');
    expect(keycardReaderLabel(snapshot.readers[3]!)).toMatch(/not a Keycard/);
    expect(snapshot.readers.map(holdsNewKeycard)).toEqual([false, false, true, false]);
  });

  it('setting up new cards: each PIN and PUK typed twice, PUKs 12 digits; only then are PUKs sent, never the repeats', () => {
    const setup = { ...form, setupNew: true, firstPinAgain: '123456', backupPinAgain: '654321', firstPuk: '111122223333', firstPukAgain: '111122223333', backupPuk: '444455556666', backupPukAgain: '444455556666' };
    expect(checkForm(setup)).toEqual({});
    expect(checkForm({ ...setup, backupPinAgain: '654320', firstPuk: '12345', firstPukAgain: '12345' })).toEqual({ backupPinAgain: expect.stringMatching(/differ/), firstPuk: expect.stringMatching(/12 digits/) });
    expect(checkForm({ ...setup, firstPukAgain: '111122223334' })).toEqual({ firstPukAgain: expect.stringMatching(/differ/) });
    expect(newWalletRequest(setup)).toEqual({ first: 'R0', backup: 'R1', words: 12, firstPin: '123456', backupPin: '654321', replaceExisting: false, showWords: true, firstPuk: '111122223333', backupPuk: '444455556666' });
    // Not setting up: the set-up fields are neither checked nor sent.
    expect(checkForm({ ...setup, setupNew: false, firstPuk: 'x' })).toEqual({});
    expect(newWalletRequest({ ...setup, setupNew: false })).toEqual({ first: 'R0', backup: 'R1', words: 12, firstPin: '123456', backupPin: '654321', replaceExisting: false, showWords: true });
  });

  it('checks PINs are 6 digits and both readers are chosen; one reader for both is allowed and explained', () => {
    expect(checkForm(form)).toEqual({});
    expect(checkForm({ ...form, firstPin: '12345', backupPin: 'abcdef', first: '' })).toEqual({ first: expect.any(String), firstPin: expect.stringMatching(/6 digits/), backupPin: expect.stringMatching(/6 digits/) });
    expect(checkForm({ ...form, backup: 'R0', first: 'R0' })).toEqual({});
    expect(readerNote({ first: 'R0', backup: 'R0' })).toMatch(/swap/);
    expect(readerNote(form)).toMatch(/each card/);
  });

  it('names the card a wrong PIN belongs to, with the tries left, and says a retry resumes', () => {
    const role = lastRole([
      { kind: 'opened', role: 'first', message: '' },
      { kind: 'loaded', role: 'first', message: '' },
      { kind: 'opened', role: 'backup', message: '' },
    ]);
    expect(role).toBe('backup');
    const text = failureText(new BridgeError('PIN_INVALID', 'wrong PIN, 2 tries left'), role);
    expect(text.message).toBe('Backup Keycard: wrong PIN, 2 tries left.');
    expect(text.hint).toMatch(/resumes/);
  });

  it('says a rejection stopped everything, and keeps main\'s hint for card errors', () => {
    expect(failureText(new BridgeError('REJECTED', 'x'), null).message).toMatch(/Nothing was loaded/);
    const seeded = failureText(new BridgeError('CARD_ERROR', 'the backup Keycard already holds a wallet', 'tick replace'), 'backup');
    expect(seeded).toEqual({ message: 'Backup Keycard: the backup Keycard already holds a wallet', hint: 'tick replace' });
  });
});
