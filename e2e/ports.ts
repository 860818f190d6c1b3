/**
 * Loopback port helpers for programs that must be told their port up front (nginx, redis-server):
 * the OS picks a free one (port 0), we release it and hand the number over. Another process could grab
 * it in between, so callers retry a start that failed with "address in use".
 */
import { createServer, connect } from 'node:net';

/** A port on 127.0.0.1 that was free a moment ago. */
export function reservePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('reservePort: no port assigned'))));
    });
  });
}

/** Distinct free ports. */
export async function reservePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await reservePort(host));
  return [...ports];
}

/** Resolves true once a TCP connect to host:port succeeds, false if it fails. */
export function canConnect(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
