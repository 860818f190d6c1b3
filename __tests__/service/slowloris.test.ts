/**
 * Slowloris: clients that trickle their request headers (plain requests and WebSocket upgrades) are cut
 * after HTTP_HEADERS_TIMEOUT_MS, not after the keep-alive timeout (minutes); idle TCP connections past
 * MAX_HTTP_CONNECTIONS are closed as soon as they are accepted. Bounded: a few dozen sockets on 127.0.0.1,
 * each test ends within seconds.
 */
import { connect, type Socket } from 'node:net';
import { startTestApp, type TestApp } from '../../testkit/app';
import { rawSocket } from '../../testkit/clients';
import { sleep, waitFor, withTimeout } from '../../testkit/wait';

interface Trickler {
  readonly socket: Socket;
  readonly closedAt: Promise<number>;
  response: string;
}

/** Opens a connection and sends a request's headers one byte every `everyMs`, never finishing them. */
function trickle(port: number, upgrade: boolean, everyMs: number): Trickler {
  const socket = connect({ port, host: '127.0.0.1' });
  const head =
    'GET /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
    (upgrade
      ? 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
      : '') +
    'X-Padding: ' +
    'a'.repeat(10_000);
  const trickler: Trickler = {
    socket,
    response: '',
    closedAt: new Promise((resolve) => socket.once('close', () => resolve(Date.now()))),
  };
  socket.on('data', (chunk) => (trickler.response += chunk.toString()));
  socket.on('error', () => undefined);
  let sent = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || sent >= head.length) return clearInterval(timer);
    socket.write(head[sent++] ?? '');
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
  return trickler;
}

describe('slowloris', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  test('40 connections trickling headers (half of them upgrades) are closed within HTTP_HEADERS_TIMEOUT_MS', async () => {
    // The request timeout far above the headers timeout, so that only the headers timeout can cut them in time.
    t = await startTestApp({
      env: { LOG_LEVEL: 'warn', HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_REQUEST_TIMEOUT_MS: '10000' },
    });
    const startedAt = Date.now();
    const tricklers = Array.from({ length: 40 }, (_, i) => trickle(t!.port, i % 2 === 0, 100));
    try {
      const closedAt = await withTimeout(
        'every trickling connection to be closed',
        Promise.all(tricklers.map((x) => x.closedAt)),
        8_000,
      );
      // Cut after the 1 s headers timeout (plus node's 250 ms check interval and slack for a busy machine),
      // long before the 10 s request timeout or the keep-alive timeout.
      expect(Math.max(...closedAt) - startedAt).toBeLessThan(6_000);
      expect(Math.min(...closedAt) - startedAt).toBeGreaterThanOrEqual(900);
      for (const x of tricklers) expect(x.response).toMatch(/^HTTP\/1\.1 408|^$/);
    } finally {
      for (const x of tricklers) x.socket.destroy();
    }
    // The service still serves everyone else.
    const socket = rawSocket(t.wsUrl);
    await socket.opened;
    socket.close();
  });

  test('idle TCP connections beyond MAX_HTTP_CONNECTIONS are closed at once; the others stay until their timeout', async () => {
    const headersTimeoutMs = 3_000;
    t = await startTestApp({
      env: {
        LOG_LEVEL: 'error',
        MAX_CONNECTIONS: '5',
        MAX_HTTP_CONNECTIONS: '20',
        HTTP_HEADERS_TIMEOUT_MS: String(headersTimeoutMs),
      },
    });
    // Each connection's lifetime runs from before connect() (the server cannot have accepted it earlier) to
    // its close event, on the monotonic clock: a busy machine can only lengthen it. The margin covers the
    // rounding of node's timers to whole milliseconds.
    const margin = 50;
    const connections: { socket: Socket; startedAt: number; closedAt?: number; response: string }[] = [];
    try {
      for (let i = 0; i < 30; i++) {
        const startedAt = performance.now();
        const socket = connect({ port: t.port, host: '127.0.0.1' });
        const connection: (typeof connections)[number] = { socket, startedAt, response: '' };
        socket.on('error', () => undefined);
        // Read what the server writes: an unread reply would keep the socket from ever emitting close.
        socket.on('data', (chunk: Buffer) => (connection.response += chunk.toString()));
        socket.once('close', () => (connection.closedAt = performance.now()));
        connections.push(connection);
        // In order: the server has accepted this one before the next connects.
        await new Promise((resolve) => socket.once('connect', resolve));
        await sleep(5);
      }
      // Idle connections that never send a byte are cut by the headers timeout too.
      await waitFor('every connection to be closed', () => connections.every((c) => c.closedAt !== undefined), 8_000);
      const lifetimes = connections.map((c) => Math.round((c.closedAt ?? Infinity) - c.startedAt));
      // The 20 under the cap stayed open until their headers timeout...
      expect(lifetimes.slice(0, 20).filter((ms) => ms < headersTimeoutMs - margin)).toEqual([]);
      // ...and the 10 over it were closed at accept: before any headers timeout could have closed them.
      expect(lifetimes.slice(20).filter((ms) => ms >= headersTimeoutMs - margin)).toEqual([]);
      // The headers timeout answers 408 before it closes; a connection over the cap gets no reply.
      expect(connections.map((c) => c.response.split('\r\n')[0])).toEqual([
        ...Array<string>(20).fill('HTTP/1.1 408 Request Timeout'),
        ...Array<string>(10).fill(''),
      ]);
      expect(t.app.counters().httpConnectionsDropped).toBe(10);
    } finally {
      for (const c of connections) c.socket.destroy();
    }
    const socket = rawSocket(t.wsUrl);
    await socket.opened;
    socket.close();
  });
});
