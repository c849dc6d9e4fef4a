/**
 * Child-process plumbing shared by the local chains: a free loopback port, waiting for a process to
 * end, and a last-resort kill of still-running nodes when this Node process exits.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A TCP port free on 127.0.0.1 right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Resolves true when the process has ended within `ms`, false otherwise. */
export function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (hasExited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, ms);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

/** Stops `child`: `polite` first (an RPC stop, SIGTERM), then SIGKILL after `graceMs`. */
export async function stopProcess(child: ChildProcess, polite: () => Promise<void> | void, graceMs: number): Promise<void> {
  if (hasExited(child)) return;
  try {
    await polite();
  } catch {
    child.kill('SIGTERM');
  }
  if (await waitForExit(child, graceMs)) return;
  child.kill('SIGKILL');
  await waitForExit(child, 5_000);
}

const running = new Set<ChildProcess>();
let hooked = false;

/** Kills `child` if this process exits while it still runs (a test run that dies leaves no node behind). */
export function killWithParent(child: ChildProcess): () => void {
  running.add(child);
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const c of running) if (!hasExited(c)) c.kill('SIGKILL');
    });
  }
  return () => running.delete(child);
}

/** Keeps the last `max` characters of a stream, for error messages. */
export function tailOf(max = 4_000): { push(chunk: Buffer | string): void; text(): string } {
  let text = '';
  return {
    push(chunk) {
      text = (text + chunk.toString()).slice(-max);
    },
    text: () => text,
  };
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
