import { describe, expect, it } from 'vitest';
import {
  BRIDGE_ERROR_CODES,
  type BridgeTransport,
  BridgeError,
  EVENT_NAMES,
  METHOD_NAMES,
  type MethodName,
  type ReadersSnapshot,
  createTapdeskApi,
  isBridgeError,
  isBridgeErrorCode,
  isMethodName,
  unwrapEnvelope,
  validateRequest,
  validators,
} from './contract.ts';

function refused(fn: () => unknown): BridgeError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(BridgeError);
    expect((error as BridgeError).code).toBe('INVALID_REQUEST');
    return error as BridgeError;
  }
  throw new Error('expected INVALID_REQUEST');
}

class Payload {
  reader = 'Virtual PCD 00 00';
}

describe('method and error-code lists', () => {
  it('the validator table covers exactly the method list', () => {
    expect(Object.keys(validators).sort()).toEqual([...METHOD_NAMES].sort());
    expect(EVENT_NAMES).toEqual(['readers.changed', 'signing.progress', 'keycard.newWallet.progress']);
  });

  it('isMethodName accepts the listed names only', () => {
    for (const name of METHOD_NAMES) expect(isMethodName(name)).toBe(true);
    for (const name of ['app.quit', 'readers.changed', '', 'APP.INFO', 'app.info ', 'constructor', '__proto__', 'toString']) {
      expect(isMethodName(name)).toBe(false);
    }
    for (const value of [undefined, null, 1, {}, ['app.info']]) expect(isMethodName(value)).toBe(false);
  });

  it('isBridgeErrorCode accepts the closed list only', () => {
    for (const code of BRIDGE_ERROR_CODES) expect(isBridgeErrorCode(code)).toBe(true);
    for (const code of ['BAD_APDU', 'internal', '', 'EVIL', 42, null]) expect(isBridgeErrorCode(code)).toBe(false);
  });
});

describe('validators', () => {
  it.each(['app.info', 'readers.list'] as const)('%s accepts {}, undefined and null as an empty request', (method) => {
    expect(validateRequest(method, {})).toEqual({});
    expect(validateRequest(method, undefined)).toEqual({});
    expect(validateRequest(method, null)).toEqual({});
  });

  it('card.identify accepts a reader name and returns only that field', () => {
    const request = validateRequest('card.identify', { reader: 'Virtual PCD 00 00' });
    expect(request).toEqual({ reader: 'Virtual PCD 00 00' });
    expect(validateRequest('card.identify', { reader: 'é读卡器 ☃' }).reader).toBe('é读卡器 ☃');
    expect(validateRequest('card.identify', { reader: 'x'.repeat(256) }).reader.length).toBe(256);
  });

  it.each(['app.info', 'readers.list'] as const)('%s refuses unknown keys', (method) => {
    const error = refused(() => validateRequest(method, { extra: 1 }));
    expect(error.message).toContain('"extra"');
  });

  it('card.identify refuses unknown keys next to a good reader', () => {
    refused(() => validateRequest('card.identify', { reader: 'A', timeoutMs: 5 }));
    refused(() => validateRequest('card.identify', JSON.parse('{"reader":"A","__proto__":{"x":1}}')));
  });

  it.each<[string, unknown]>([
    ['an array', []],
    ['an array with a reader', Object.assign([], { reader: 'A' })],
    ['a class instance', new Payload()],
    ['a Date', new Date()],
    ['a Map', new Map([['reader', 'A']])],
    ['a null-prototype object', Object.assign(Object.create(null) as object, { reader: 'A' })],
    ['a string', 'A'],
    ['a number', 1],
    ['a boolean', true],
    ['a function', () => 'A'],
  ])('card.identify refuses %s as the payload', (_name, payload) => {
    refused(() => validateRequest('card.identify', payload));
  });

  it.each(['app.info', 'readers.list'] as const)('%s refuses non-plain payloads too (array, class instance, null prototype)', (method) => {
    refused(() => validateRequest(method, []));
    refused(() => validateRequest(method, new Payload()));
    refused(() => validateRequest(method, Object.create(null)));
    refused(() => validateRequest(method, 'x'));
  });

  it.each<[string, unknown]>([
    ['missing', {}],
    ['a number', { reader: 1 }],
    ['null', { reader: null }],
    ['an array', { reader: ['A'] }],
    ['an object', { reader: { toString: () => 'A' } }],
    ['a String object', { reader: new String('A') }],
    ['empty', { reader: '' }],
    ['257 characters', { reader: 'x'.repeat(257) }],
    ['a newline', { reader: 'Reader\n1' }],
    ['a NUL', { reader: 'Reader\u00001' }],
    ['an escape', { reader: '\u001b[31mred' }],
    ['a tab', { reader: 'Reader\t1' }],
  ])('card.identify refuses a reader that is %s', (_name, payload) => {
    refused(() => validateRequest('card.identify', payload));
  });

  it('card.identify with no payload at all is refused (the reader is required)', () => {
    refused(() => validateRequest('card.identify', undefined));
    refused(() => validateRequest('card.identify', null));
  });

  it('errors name the method and do not echo the offending value', () => {
    const secret = 'Reader\nwith-secret-123456';
    const error = refused(() => validateRequest('card.identify', { reader: secret }));
    expect(error.message).toContain('card.identify');
    expect(error.message).not.toContain('secret-123456');
  });

  it('validateRequest has no entry for an unknown method name (callers check isMethodName first)', () => {
    expect(() => validateRequest('app.quit' as MethodName, {})).toThrow();
    expect(Object.hasOwn(validators, 'app.quit')).toBe(false);
  });
});

describe('BridgeError', () => {
  it('carries code, message and hint; toView drops an empty hint', () => {
    const error = new BridgeError('NO_PCSC', 'pcscd is not running', 'sudo systemctl start pcscd');
    expect(error.toView()).toEqual({ code: 'NO_PCSC', message: 'pcscd is not running', hint: 'sudo systemctl start pcscd' });
    expect(new BridgeError('TIMEOUT', 'slow').toView()).toEqual({ code: 'TIMEOUT', message: 'slow' });
    expect(isBridgeError(error)).toBe(true);
    expect(isBridgeError(error, 'NO_PCSC')).toBe(true);
    expect(isBridgeError(error, 'TIMEOUT')).toBe(false);
    expect(isBridgeError(new Error('x'))).toBe(false);
  });
});

describe('unwrapEnvelope', () => {
  it('returns the result of an ok envelope', () => {
    expect(unwrapEnvelope({ ok: true, result: { a: 1 } })).toEqual({ a: 1 });
    expect(unwrapEnvelope({ ok: true, result: null })).toBeNull();
  });

  it('throws a BridgeError with the code, message and hint of an error envelope', () => {
    let caught: unknown;
    try {
      unwrapEnvelope({ ok: false, error: { code: 'NO_READER', message: 'no such reader', hint: 'plug it in' } });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BridgeError);
    expect(caught).toMatchObject({ code: 'NO_READER', message: 'no such reader', hint: 'plug it in' });
  });

  it.each(['SOMETHING_NEW', 'no_reader', 42, undefined])('maps an unknown code (%j) to INTERNAL', (code) => {
    expect(() => unwrapEnvelope({ ok: false, error: { code, message: 'm' } })).toThrow(expect.objectContaining({ code: 'INTERNAL', message: 'm' }));
  });

  it('an error envelope without an error object still gives INTERNAL', () => {
    expect(() => unwrapEnvelope({ ok: false })).toThrow(expect.objectContaining({ code: 'INTERNAL', message: 'unknown error' }));
  });

  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'ok'],
    ['an object without ok', { result: 1 }],
  ])('a malformed answer (%s) is INTERNAL', (_name, envelope) => {
    expect(() => unwrapEnvelope(envelope)).toThrow(expect.objectContaining({ code: 'INTERNAL', name: 'BridgeError' }));
  });
});

describe('createTapdeskApi', () => {
  function fakeTransport(answer: (method: MethodName, payload: unknown) => unknown) {
    const calls: [MethodName, unknown][] = [];
    const subscribers = new Map<string, Set<(payload: unknown) => void>>();
    const transport: BridgeTransport = {
      async invoke(method, payload) {
        calls.push([method, payload]);
        return answer(method, payload);
      },
      subscribe(event, listener) {
        if (!subscribers.has(event)) subscribers.set(event, new Set());
        subscribers.get(event)!.add(listener);
        return () => subscribers.get(event)!.delete(listener);
      },
    };
    return { transport, calls, subscribers };
  }

  it('returns a frozen object with exactly the named functions', () => {
    const api = createTapdeskApi(fakeTransport(() => ({ ok: true, result: null })).transport);
    expect(Object.isFrozen(api)).toBe(true);
    expect(Object.keys(api).sort()).toEqual(['appInfo', 'chainSettings', 'identifyCard', 'listReaders', 'newKeycardWallet', 'onKeycardWalletProgress', 'onReadersChanged', 'onSigningProgress', 'sendBtc', 'sendEth', 'setChainSettings', 'signEthMessage', 'signEthTransaction', 'signEthTypedData', 'signPsbt', 'unlockWallet', 'verifyAddresses', 'walletHistory', 'walletOverview']);
    expect(() => {
      (api as unknown as Record<string, unknown>).listReaders = () => null;
    }).toThrow(TypeError);
    expect(() => {
      (api as unknown as Record<string, unknown>).invoke = () => null;
    }).toThrow(TypeError);
  });

  it('calls the transport with the method name and the request, and unwraps the answer', async () => {
    const snapshot: ReadersSnapshot = { service: 'running', readers: [], revision: 1 };
    const { transport, calls } = fakeTransport((method) =>
      method === 'readers.list' ? { ok: true, result: snapshot } : { ok: false, error: { code: 'NO_CARD', message: 'empty' } },
    );
    const api = createTapdeskApi(transport);
    await expect(api.listReaders()).resolves.toEqual(snapshot);
    await expect(api.identifyCard('Virtual PCD 00 00')).rejects.toMatchObject({ code: 'NO_CARD', message: 'empty' });
    await expect(api.appInfo()).rejects.toBeInstanceOf(BridgeError);
    expect(calls).toEqual([
      ['readers.list', {}],
      ['card.identify', { reader: 'Virtual PCD 00 00' }],
      ['app.info', {}],
    ]);
  });

  it('newKeycardWallet passes exactly the request fields on, the PUKs only when given (each request still valid)', async () => {
    const { transport, calls } = fakeTransport(() => ({ ok: true, result: null }));
    const api = createTapdeskApi(transport);
    const request = { first: 'R0', backup: 'R1', words: 12, firstPin: '123456', backupPin: '654321', replaceExisting: false, showWords: true } as const;
    await api.newKeycardWallet({ ...request, extra: 'dropped' } as typeof request);
    await api.newKeycardWallet({ ...request, firstPuk: '111122223333', backupPuk: '444455556666' });
    expect(calls).toEqual([
      ['keycard.newWallet', request],
      ['keycard.newWallet', { ...request, firstPuk: '111122223333', backupPuk: '444455556666' }],
    ]);
    for (const [, payload] of calls) expect(validateRequest('keycard.newWallet', payload)).toEqual(payload);
  });

  it('onReadersChanged subscribes to readers.changed and returns the unsubscribe function', () => {
    const { transport, subscribers } = fakeTransport(() => null);
    const api = createTapdeskApi(transport);
    const seen: unknown[] = [];
    const off = api.onReadersChanged((s) => seen.push(s));
    expect(subscribers.get('readers.changed')?.size).toBe(1);
    for (const listener of subscribers.get('readers.changed')!) listener({ revision: 7 });
    expect(seen).toEqual([{ revision: 7 }]);
    off();
    expect(subscribers.get('readers.changed')?.size).toBe(0);
  });
});

describe('eth.signMessage validation', () => {
  it('takes a reader and a non-empty text, nothing else', () => {
    expect(validateRequest('eth.signMessage', { reader: 'R', text: 'hi' })).toEqual({ reader: 'R', text: 'hi' });
    refused(() => validateRequest('eth.signMessage', { reader: 'R', text: '' }));
    refused(() => validateRequest('eth.signMessage', { reader: 'R', text: 5 }));
    refused(() => validateRequest('eth.signMessage', { reader: 'R', text: 'x'.repeat(64 * 1024 + 1) }));
    refused(() => validateRequest('eth.signMessage', { reader: 'R', text: 'hi', pin: '1234' }));
  });
});

describe('btc.signPsbt validation', () => {
  it('takes a reader, PSBT text and two booleans, nothing else', () => {
    expect(validateRequest('btc.signPsbt', { reader: 'R', psbt: 'cHNidP8=', finalize: true, broadcast: false })).toEqual({ reader: 'R', psbt: 'cHNidP8=', finalize: true, broadcast: false });
    refused(() => validateRequest('btc.signPsbt', { reader: 'R', psbt: '', finalize: true, broadcast: false }));
    refused(() => validateRequest('btc.signPsbt', { reader: 'R', psbt: 'x'.repeat(61 * 1024), finalize: true, broadcast: false }));
    refused(() => validateRequest('btc.signPsbt', { reader: 'R', psbt: 'cHNidP8=', finalize: 'yes', broadcast: false }));
    refused(() => validateRequest('btc.signPsbt', { reader: 'R', psbt: 'cHNidP8=', finalize: true, broadcast: false, pin: '1234' }));
  });
});

describe('settings.set validation', () => {
  const good = { eth: { rpcUrl: 'http://127.0.0.1:8545', chainId: 31337, name: 'Anvil' }, btc: { network: 'regtest', esploraUrl: 'https://blockstream.info/api/' } };
  it('accepts http(s) backends, a chain id and a known Bitcoin network; strips a trailing slash', () => {
    expect(validateRequest('settings.set', good)).toEqual({ ...good, btc: { network: 'regtest', esploraUrl: 'https://blockstream.info/api' } });
  });
  it('refuses other schemes, bad chain ids, unknown networks and extra fields', () => {
    refused(() => validateRequest('settings.set', { ...good, eth: { ...good.eth, rpcUrl: 'file:///etc/passwd' } }));
    refused(() => validateRequest('settings.set', { ...good, eth: { ...good.eth, rpcUrl: 'javascript:alert(1)' } }));
    refused(() => validateRequest('settings.set', { ...good, eth: { ...good.eth, chainId: 0 } }));
    refused(() => validateRequest('settings.set', { ...good, eth: { ...good.eth, chainId: 1.5 } }));
    refused(() => validateRequest('settings.set', { ...good, btc: { ...good.btc, network: 'dogecoin' } }));
    refused(() => validateRequest('settings.set', { ...good, extra: 1 }));
  });
});
