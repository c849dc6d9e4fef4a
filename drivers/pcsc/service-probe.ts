/**
 * Is pcscd reachable? Asked before the native binding is created, because @pokusew/pcsclite's
 * constructor spins in SCardEstablishContext until the service appears (it would freeze the app).
 * pcsc-lite clients talk to pcscd over a Unix socket; where systemd socket activation is set up,
 * connecting to it also starts pcscd.
 */
import net from 'node:net';

export const DEFAULT_PCSCD_SOCKET = '/run/pcscd/pcscd.comm';

export function pcscdSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.PCSCLITE_CSOCK_NAME || DEFAULT_PCSCD_SOCKET;
}

export function probePcscd(socketPath = pcscdSocketPath(), timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ path: socketPath });
    const done = (up: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(up);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
