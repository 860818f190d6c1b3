/**
 * Free loopback ports for programs that must be told their port up front (redis-server). The OS picks a
 * free one (port 0); it is released and handed over, so another process could take it in between: callers
 * that start a server retry on "address in use". In-process servers should listen on port 0 directly.
 */
import { createServer } from 'node:net';

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('freePort: no port assigned'))));
    });
  });
}
