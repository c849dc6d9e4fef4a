/**
 * Anvil (Foundry's local Ethereum node) for tests and demo mode, from npm: @foundry-rs/anvil ships the
 * binary in its platform packages, and we depend on the Linux x64 one directly (an optional
 * dependency: the registry this project installs from has only that platform, and npm ci needs
 * every platform package the lock names), then run its binary. TAPDESK_ANVIL points elsewhere. It
 * listens on a port the OS picks on 127.0.0.1 (we read it from Anvil's "Listening on" line), with the
 * well-known test mnemonic and chain id 31337, mining each transaction as it arrives.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { EthereumRpcClient } from '../ethereum-rpc.ts';
import { delay, hasExited, killWithParent, stopProcess, tailOf } from './processes.ts';

/** Anvil's (and Hardhat's) public test mnemonic: its keys hold nothing on any real network. */
export const ANVIL_TEST_MNEMONIC = 'test test test test test test test test test test test junk';
export const ANVIL_DEFAULT_CHAIN_ID = 31337;

export interface AnvilOptions {
  readonly chainId?: number;
  readonly mnemonic?: string;
  /** Dev accounts (default 10), each holding `balanceEther` (default 10000). */
  readonly accounts?: number;
  readonly balanceEther?: number;
  /** Seconds between blocks; default: a block per transaction. */
  readonly blockTime?: number;
  readonly startTimeoutMs?: number;
  /** The binary (default: the platform package's, or TAPDESK_ANVIL). */
  readonly binary?: string;
}

/** The Anvil binary from its npm platform package. */
export function anvilBinary(): string {
  const fromEnv = process.env.TAPDESK_ANVIL;
  if (fromEnv) return fromEnv;
  const arch = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch];
  const pkg = `@foundry-rs/anvil-${process.platform}-${arch ?? process.arch}`;
  let dir: string;
  try {
    dir = path.dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`));
  } catch {
    throw new Error(`Anvil is not installed for ${process.platform}/${process.arch} (${pkg}): run npm ci`);
  }
  const binary = path.join(dir, 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil');
  if (!existsSync(binary)) throw new Error(`Anvil's binary is missing at ${binary}: run npm ci`);
  return binary;
}

export class AnvilNode {
  readonly rpc: EthereumRpcClient;
  private readonly forget: () => void;
  private stopped: Promise<void> | undefined;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly port: number,
    readonly chainId: number,
    /** The unlocked dev accounts, lowercase, each funded with `balanceEther`. */
    readonly accounts: readonly string[],
  ) {
    this.rpc = new EthereumRpcClient({ url });
    this.forget = killWithParent(child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  static async start(options: AnvilOptions = {}): Promise<AnvilNode> {
    const chainId = options.chainId ?? ANVIL_DEFAULT_CHAIN_ID;
    const args = [
      '--host', '127.0.0.1',
      '--port', '0',
      '--chain-id', String(chainId),
      '--mnemonic', options.mnemonic ?? ANVIL_TEST_MNEMONIC,
      '--accounts', String(options.accounts ?? 10),
      '--balance', String(options.balanceEther ?? 10_000),
      ...(options.blockTime !== undefined ? ['--block-time', String(options.blockTime)] : []),
    ];
    const child = spawn(options.binary ?? anvilBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const output = tailOf();
    child.stderr?.on('data', output.push);
    const timeoutMs = options.startTimeoutMs ?? 30_000;
    let port: number;
    try {
      port = await new Promise<number>((resolve, reject) => {
        let seen = '';
        const timer = setTimeout(() => reject(new Error(`anvil did not start within ${timeoutMs} ms: ${output.text()}`)), timeoutMs);
        child.once('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
        child.once('exit', (code, signal) => {
          clearTimeout(timer);
          reject(new Error(`anvil exited at start (${code ?? signal}): ${output.text().trim()}`));
        });
        child.stdout?.on('data', (chunk: Buffer) => {
          output.push(chunk);
          if (seen.length < 64_000) seen += chunk.toString();
          const match = /Listening on 127\.0\.0\.1:(\d+)/.exec(seen);
          if (match) {
            clearTimeout(timer);
            resolve(Number(match[1]));
          }
        });
      });
    } catch (error) {
      await stopProcess(child, () => void child.kill('SIGTERM'), 5_000);
      throw error;
    }
    child.stdout?.removeAllListeners('data');
    child.stdout?.resume(); // keep draining Anvil's per-request log lines
    const url = `http://127.0.0.1:${port}`;
    const rpc = new EthereumRpcClient({ url, timeoutMs: 5_000 });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const answered = await rpc.chainId();
        if (answered !== chainId) throw new Error(`anvil answers chain id ${answered}, not ${chainId}`);
        break;
      } catch (error) {
        if (hasExited(child) || Date.now() > deadline) {
          await stopProcess(child, () => void child.kill('SIGTERM'), 5_000);
          throw error;
        }
        await delay(50);
      }
    }
    const accounts = (await rpc.request('eth_accounts', [])) as string[];
    return new AnvilNode(child, url, port, chainId, accounts.map((a) => a.toLowerCase()));
  }

  /** Sets `address`'s balance to exactly `wei` (anvil_setBalance): no transaction, no history. */
  async setBalance(address: string, wei: bigint): Promise<void> {
    await this.rpc.request('anvil_setBalance', [address, `0x${wei.toString(16)}`]);
  }

  /** Sends `wei` to `address` from the first dev account, mined; returns the transaction hash. */
  async fund(address: string, wei: bigint): Promise<string> {
    const from = this.accounts[0];
    if (!from) throw new Error('anvil has no dev account');
    const hash = (await this.rpc.request('eth_sendTransaction', [{ from, to: address, value: `0x${wei.toString(16)}` }])) as string;
    await this.rpc.waitForReceipt(hash, { timeoutMs: 30_000, pollIntervalMs: 50 });
    return hash;
  }

  /** Mines `blocks` empty blocks. */
  async mine(blocks = 1): Promise<void> {
    await this.rpc.request('anvil_mine', [`0x${blocks.toString(16)}`]);
  }

  /** SIGTERM, SIGKILL after 10 s. Idempotent. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      await stopProcess(this.child, () => void this.child.kill('SIGTERM'), 10_000);
      this.forget();
    })();
    return this.stopped;
  }
}
