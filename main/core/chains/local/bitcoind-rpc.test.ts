/**
 * BitcoindRpc.batch against a small stand-in node over HTTP: one request for several calls, the
 * results matched to the calls by id (in whatever order the node lists them), a refused call
 * thrown as RPC_ERROR with the node's code, and an answer that is not a batch refused.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isChainError } from '../errors.ts';
import { BitcoindRpc } from './bitcoind-rpc.ts';

type Reply = (calls: { id: number; method: string; params: unknown[] }[]) => { status: number; body: unknown };

describe('BitcoindRpc.batch', () => {
  let server: Server;
  let reply: Reply = () => ({ status: 200, body: [] });
  let requests = 0;
  let url = '';

  beforeAll(async () => {
    server = createServer((req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => {
        requests += 1;
        const { status, body } = reply(JSON.parse(text));
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://user:pass@127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends the calls in one request and gives each its own result, matched by id', async () => {
    reply = (calls) => ({ status: 200, body: calls.map((c) => ({ id: c.id, result: `${c.method}:${JSON.stringify(c.params)}`, error: null })).reverse() });
    const before = requests;
    const results = await new BitcoindRpc({ url }).batch([{ method: 'getbestblockhash' }, { method: 'getrawmempool', params: [true] }, { method: 'getblockcount' }]);
    expect(requests - before).toBe(1);
    expect(results).toEqual(['getbestblockhash:[]', 'getrawmempool:[true]', 'getblockcount:[]']);
  });

  it('throws the node refusal of one call as RPC_ERROR with its code', async () => {
    reply = (calls) => ({
      status: 200,
      body: calls.map((c, i) => (i === 1 ? { id: c.id, result: null, error: { code: -5, message: 'No such mempool transaction' } } : { id: c.id, result: 1, error: null })),
    });
    const error = await new BitcoindRpc({ url }).batch([{ method: 'a' }, { method: 'getrawtransaction' }]).catch((e: unknown) => e);
    expect(isChainError(error, 'RPC_ERROR')).toBe(true);
    expect(isChainError(error) && error.info.rpcCode).toBe(-5);
  });

  it('refuses an answer that is not one result per call', async () => {
    reply = (calls) => ({ status: 200, body: [{ id: calls[0]!.id, result: 1, error: null }] });
    const short = await new BitcoindRpc({ url }).batch([{ method: 'a' }, { method: 'b' }]).catch((e: unknown) => e);
    expect(isChainError(short, 'BAD_BACKEND_RESPONSE')).toBe(true);
    reply = () => ({ status: 401, body: { error: { code: -32600, message: 'no' } } });
    const refused = await new BitcoindRpc({ url }).batch([{ method: 'a' }]).catch((e: unknown) => e);
    expect(isChainError(refused, 'RPC_ERROR')).toBe(true);
  });
});
