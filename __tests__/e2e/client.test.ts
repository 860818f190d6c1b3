/**
 * The recommended client configuration (client/) against a real graphql-ws server (graphql-ws/use/ws on
 * a port-0 loopback server with a tiny schema): retries that never give up, fresh connectionParams on
 * every reconnect, the reconnect counter, and the pong timeout that turns a silent peer into a reconnect.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import WebSocket, { WebSocketServer } from 'ws';
import { createRecommendedClient, fullJitterDelayMs, type RecommendedClient } from '../../client';

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: 'Query', fields: { hello: { type: GraphQLString, resolve: () => 'world' } } }),
  subscription: new GraphQLObjectType({
    name: 'Subscription',
    fields: {
      token: {
        type: GraphQLString,
        // Emits the token the socket was opened with, once, and stays open.
        subscribe: async function* (_root, _args, ctx: { connectionParams?: { token?: string } }) {
          yield { token: ctx.connectionParams?.token ?? null };
          await new Promise(() => undefined);
        },
      },
    },
  }),
});

interface TestServer {
  readonly url: string;
  readonly wss: WebSocketServer;
  /** Stops answering pings from clients (graphql-ws ping messages) when true. */
  mute: boolean;
  close(): Promise<void>;
}

async function startServer(port = 0): Promise<TestServer> {
  const http: Server = createServer();
  const wss = new WebSocketServer({ server: http, path: '/graphql' });
  const state = { mute: false };
  // Drop client pings while muted, before graphql-ws answers them: a peer that went silent.
  wss.on('connection', (socket) => {
    const emit = socket.emit.bind(socket);
    socket.emit = ((event: string, ...args: unknown[]) => {
      if (event === 'message' && state.mute && String(args[0]).includes('"ping"')) return true;
      return emit(event, ...args);
    }) as typeof socket.emit;
  });
  useServer({ schema, context: (ctx) => ({ connectionParams: ctx.connectionParams }) }, wss);
  await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
  const server: TestServer = {
    url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}/graphql`,
    wss,
    get mute() {
      return state.mute;
    },
    set mute(v: boolean) {
      state.mute = v;
    },
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
  return server;
}

function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (cond()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

describe('fullJitterDelayMs', () => {
  it('is uniform below min(cap, base * 2^retries)', () => {
    expect(fullJitterDelayMs(0, { baseMs: 500 }, () => 0.999)).toBe(499);
    expect(fullJitterDelayMs(3, { baseMs: 500 }, () => 0.5)).toBe(2000);
    expect(fullJitterDelayMs(20, { baseMs: 500, capMs: 30_000 }, () => 0.5)).toBe(15_000);
    expect(fullJitterDelayMs(5000, { baseMs: 500, capMs: 30_000 }, () => 0.5)).toBe(15_000);
    expect(fullJitterDelayMs(4, {}, () => 0)).toBe(0);
  });
});

describe('createRecommendedClient', () => {
  const clients: RecommendedClient[] = [];
  const servers: TestServer[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.dispose();
    for (const s of servers.splice(0)) await s.close();
  });

  it.each([
    [{ url: 'http://x/graphql' }, /'url' must start with wss:\/\/ or ws:\/\//],
    [{ url: 'ws://x', keepAliveMs: -1 }, /'keepAliveMs' must be a finite number >= 0 ms \(got -1\)/],
    [{ url: 'ws://x', pongTimeoutMs: 0 }, /'pongTimeoutMs' must be a finite number >= 1/],
    [{ url: 'ws://x', backoff: { capMs: Number.NaN } }, /'backoff.capMs'/],
  ])('rejects bad options %j', (options, message) => {
    expect(() => createRecommendedClient({ ...options, webSocketImpl: WebSocket, lazy: true })).toThrow(message);
  });

  it('keeps retrying through a refused connection and sends fresh connectionParams on every reconnect', async () => {
    const first = await startServer();
    servers.push(first);
    const port = Number(new URL(first.url).port);
    let issued = 0;
    const reconnects: number[] = [];
    const client = createRecommendedClient({
      url: first.url,
      webSocketImpl: WebSocket,
      connectionParams: () => ({ token: `token-${++issued}` }),
      backoff: { baseMs: 50, capMs: 200 },
      onReconnect: (n) => reconnects.push(n),
    });
    clients.push(client);
    const tokens: string[] = [];
    client.subscribe<{ token: string }>(
      { query: 'subscription { token }' },
      {
        next: (r) => tokens.push(r.data?.token ?? 'none'),
        error: () => undefined,
        complete: () => undefined,
      },
    );
    await waitFor(() => tokens.length === 1, 5000, 'first token');

    // Server gone: connects are refused (an 'error', not a close event) several times in a row, which
    // graphql-ws' defaults treat as fatal.
    await first.close();
    servers.splice(0);
    await waitFor(() => issued >= 1 && client.stats.closeCodes.length >= 1, 5000, 'close seen');
    await new Promise((r) => setTimeout(r, 700));
    const second = await startServer(port);
    servers.push(second);

    await waitFor(() => tokens.length === 2, 10_000, 'token after reconnect');
    expect(tokens[0]).toBe('token-1');
    // The resubscription carries the params of the new connection, not the first token.
    expect(tokens[1]).toBe(`token-${issued}`);
    expect(issued).toBeGreaterThanOrEqual(2);
    expect(client.stats.reconnects).toBe(1);
    expect(reconnects).toEqual([1]);
    expect(client.stats.connects).toBe(2);
  });

  it('terminates and reconnects when a pong does not come back within pongTimeoutMs', async () => {
    const server = await startServer();
    servers.push(server);
    const client = createRecommendedClient({
      url: server.url,
      webSocketImpl: WebSocket,
      keepAliveMs: 100,
      // Server and client share this process: the timeout leaves room for event-loop lag on a busy machine,
      // or an answered ping could time out.
      pongTimeoutMs: 1000,
      backoff: { baseMs: 50, capMs: 100 },
    });
    clients.push(client);
    await waitFor(() => client.stats.connects === 1, 5000, 'connect');
    // Answered pings: nothing happens over many intervals, longer than one pong timeout.
    await new Promise((r) => setTimeout(r, 1500));
    expect(client.stats.pongTimeouts).toBe(0);

    server.mute = true;
    await waitFor(() => client.stats.pongTimeouts >= 1, 5000, 'pong timeout');
    expect(client.stats.closeCodes).toContain(4499);
    server.mute = false;
    await waitFor(() => client.stats.reconnects >= 1, 5000, 'reconnect after pong timeout');
  });
});
