/**
 * A Bitcoin-family regtest node for tests and demo mode: Debian's litecoind (Litecoin Core 0.21.2, a
 * Bitcoin Core 0.21 fork; installed by scripts/system-deps.sh). Its own datadir under a temp dir, RPC on
 * a free loopback port with a random password, no P2P listening, -txindex, a fallback fee, a wallet,
 * 101 blocks mined so the first coinbase is spendable.
 *
 * What litecoind 0.21.2 -regtest accepts (observed, and checked by regtest-node.chain.test.ts):
 * - Addresses: bech32 HRP `rltc` (P2WPKH rltc1q..., P2TR rltc1p... in bech32m), base58 P2PKH version
 *   0x6f (m/n...), P2SH version 0x3a (Q...): Litecoin's own regtest P2SH prefix, not Bitcoin's 0xc4.
 * - P2WPKH: yes. BIP143 signatures made with bitcoinjs-lib are accepted; a tampered one is refused
 *   with "non-mandatory-script-verify-flag (Signature must be zero for failed CHECK(MULTI)SIG operation)".
 * - Taproot: yes. getblockchaininfo lists the `taproot` deployment as active from height 0 on regtest;
 *   validateaddress and sendtoaddress take bech32m rltc1p addresses, and a BIP341 key-path spend
 *   (a BIP340 Schnorr signature from bitcoinjs-lib + @bitcoinerlab/secp256k1) is accepted and mined.
 *   (The wallet RPCs cannot make taproot addresses themselves: 0.21 has no `tr()` descriptors.)
 * - MWEB is a BIP9 deployment that stays `defined` on regtest unless signalled: plain transactions only.
 * - Relay policy: we start it with -acceptnonstdtxn=0 so regtest applies mainnet standardness (dust,
 *   standard scripts), like the networks a person will use; minimum relay fee 1 sat/vB (its default).
 * - Regtest halves the block subsidy every 150 blocks (50, 25, ... LTC): plenty for tests and demos.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isChainError } from '../errors.ts';
import { BitcoindRpc, satsToCoinString } from './bitcoind-rpc.ts';
import { delay, freePort, hasExited, killWithParent, stopProcess, tailOf } from './processes.ts';

export interface RegtestNodeOptions {
  /** The daemon (default `litecoind` on PATH, or TAPDESK_LITECOIND). */
  readonly binary?: string;
  /** A datadir to use (kept on stop). Default: a fresh temp dir, removed on stop. */
  readonly datadir?: string;
  /** Blocks mined at start to the node's wallet (default 101: one mature coinbase). */
  readonly initialBlocks?: number;
  readonly wallet?: string;
  /** How long the node may take to answer RPC (default 60 s). */
  readonly startTimeoutMs?: number;
  /** Extra daemon arguments. */
  readonly extraArgs?: readonly string[];
}

export class RegtestNode {
  private readonly forget: () => void;
  private stopped: Promise<void> | undefined;

  private constructor(
    private readonly child: ChildProcess,
    /** RPC to the node (no wallet). */
    readonly rpc: BitcoindRpc,
    /** RPC to the node's wallet. */
    readonly wallet: BitcoindRpc,
    /** http://user:password@127.0.0.1:port: for servers that talk to the node (regtest-esplora.ts). */
    readonly rpcUrl: string,
    readonly rpcPort: number,
    readonly datadir: string,
    private readonly ownDatadir: boolean,
    /** A wallet address blocks are mined to. */
    readonly miningAddress: string,
  ) {
    this.forget = killWithParent(child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  static async start(options: RegtestNodeOptions = {}): Promise<RegtestNode> {
    const binary = options.binary ?? process.env.TAPDESK_LITECOIND ?? 'litecoind';
    const ownDatadir = options.datadir === undefined;
    const datadir = options.datadir ?? (await mkdtemp(path.join(tmpdir(), 'tapdesk-regtest-')));
    const walletName = options.wallet ?? 'tapdesk';
    const user = 'tapdesk';
    const password = randomBytes(16).toString('hex');
    let lastError: unknown;
    // The port is free when picked; another process could take it before the node binds: try again.
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const args = [
        '-regtest',
        `-datadir=${datadir}`,
        '-server=1',
        '-listen=0',
        '-listenonion=0',
        '-dnsseed=0',
        '-discover=0',
        '-upnp=0',
        '-rpcbind=127.0.0.1',
        '-rpcallowip=127.0.0.1',
        `-rpcport=${port}`,
        `-rpcuser=${user}`,
        `-rpcpassword=${password}`,
        '-txindex=1',
        '-fallbackfee=0.0002',
        '-acceptnonstdtxn=0',
        // A legacy wallet derives its whole keypool at createwallet: 1000 keys (the default) take 3.5 s.
        '-keypool=50',
        // Room for concurrent callers (each BitcoindRpc keeps at most 8 calls in flight): the default
        // work queue of 16 answers HTTP 503 beyond that.
        '-rpcthreads=8',
        '-rpcworkqueue=128',
        '-printtoconsole=0',
        ...(options.extraArgs ?? []),
      ];
      const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const output = tailOf();
      child.stdout?.on('data', output.push);
      child.stderr?.on('data', output.push);
      const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
      const rpcUrl = `http://${user}:${password}@127.0.0.1:${port}`;
      const rpc = new BitcoindRpc({ url: rpcUrl });
      try {
        await Promise.race([
          waitForRpc(rpc, child, options.startTimeoutMs ?? 60_000, output.text, datadir),
          spawnError.then((error) => {
            throw (error as NodeJS.ErrnoException).code === 'ENOENT'
              ? new Error(`${binary} is not installed: run \`bash scripts/system-deps.sh test\` (as root it installs Debian's litecoind)`)
              : error;
          }),
        ]);
      } catch (error) {
        lastError = error;
        await stopProcess(child, () => void child.kill('SIGTERM'), 10_000);
        if (/bind|port|address already in use/i.test(String(error))) continue;
        if (ownDatadir) await rm(datadir, { recursive: true, force: true });
        throw error;
      }
      try {
        await rpc.call('createwallet', [walletName]);
      } catch (error) {
        // A kept datadir already has it: load it (-35: already loaded).
        if (!isChainError(error, 'RPC_ERROR')) throw error;
        await rpc.call('loadwallet', [walletName]).catch((e: unknown) => {
          if (!(isChainError(e, 'RPC_ERROR') && e.info.rpcCode === -35)) throw e;
        });
      }
      const wallet = rpc.withWallet(walletName);
      const miningAddress = await wallet.call<string>('getnewaddress', ['mining', 'bech32']);
      const node = new RegtestNode(child, rpc, wallet, rpcUrl, port, datadir, ownDatadir, miningAddress);
      const initial = options.initialBlocks ?? 101;
      const height = await node.tipHeight();
      if (height < initial) await node.mine(initial - height);
      return node;
    }
    if (ownDatadir) await rm(datadir, { recursive: true, force: true });
    throw lastError instanceof Error ? lastError : new Error(String(lastError));
  }

  async tipHeight(): Promise<number> {
    return this.rpc.call<number>('getblockcount');
  }

  /** Mines `blocks` blocks (to the node's wallet unless `address` is given); returns their hashes. */
  async mine(blocks = 1, address: string = this.miningAddress): Promise<string[]> {
    return this.rpc.call<string[]>('generatetoaddress', [blocks, address], { timeoutMs: 120_000 });
  }

  /** Pays `sats` to `address` from the node's wallet; the transaction stays in the mempool. */
  async send(address: string, sats: number): Promise<string> {
    return this.wallet.call<string>('sendtoaddress', [address, satsToCoinString(sats)]);
  }

  /** Pays `sats` to `address` and mines a block, so the coins are confirmed. */
  async fund(address: string, sats: number): Promise<{ txid: string; blockHash: string }> {
    const txid = await this.send(address, sats);
    const [blockHash] = await this.mine(1);
    return { txid, blockHash: blockHash as string };
  }

  /** A new address of the node's own wallet (bech32 P2WPKH by default). */
  async newAddress(type: 'bech32' | 'legacy' | 'p2sh-segwit' = 'bech32'): Promise<string> {
    return this.wallet.call<string>('getnewaddress', ['', type]);
  }

  /** Stops the node cleanly (RPC `stop`, SIGKILL after 30 s) and removes a temp datadir. Idempotent. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      await stopProcess(this.child, () => this.rpc.call('stop', [], { timeoutMs: 5_000 }).then(() => undefined), 30_000);
      this.forget();
      if (this.ownDatadir) await rm(this.datadir, { recursive: true, force: true });
    })();
    return this.stopped;
  }
}

async function waitForRpc(rpc: BitcoindRpc, child: ChildProcess, timeoutMs: number, output: () => string, datadir: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (hasExited(child)) {
      throw new Error(`litecoind exited at start (code ${child.exitCode ?? child.signalCode}): ${output().trim() || (await debugLogTail(datadir))}`);
    }
    try {
      await rpc.call('getblockchaininfo', [], { timeoutMs: 2_000 });
      return;
    } catch (error) {
      // Not listening yet (UNREACHABLE), or warming up (RPC_ERROR -28): wait.
      const waiting = isChainError(error, 'BACKEND_UNREACHABLE') || isChainError(error, 'BACKEND_TIMEOUT') || (isChainError(error, 'RPC_ERROR') && error.info.rpcCode === -28);
      if (!waiting) throw error;
    }
    if (Date.now() > deadline) throw new Error(`litecoind did not answer RPC within ${timeoutMs} ms: ${await debugLogTail(datadir)}`);
    await delay(100);
  }
}

async function debugLogTail(datadir: string): Promise<string> {
  const file = path.join(datadir, 'regtest', 'debug.log');
  if (!existsSync(file)) return '(no debug.log)';
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').slice(-15).join('\n');
}
