/**
 * Every malformed or abusive WebSocket input closes only the offending socket with the protocol's code
 * (or is refused before the upgrade with an HTTP status), and a bystander subscribed on another socket
 * keeps receiving. Bad frames are sent with a raw `ws` socket; the bystander is the real graphql-ws client.
 */
import { CloseCode } from 'graphql-ws';
import { CLOSE_CODES } from '../../service/src/close-codes';
import { SUBSCRIPTION_OVERFLOW } from '../../service/src/pubsub';
import type { Message } from '../../service/src/schema';
import { MAX_VARIABLES_DEPTH } from '../../service/src/transport/ws/variables';
import { startTestApp, type TestApp } from '../../testkit/app';
import {
  initializedSocket,
  MESSAGE_POSTED,
  postMessage,
  rawSocket,
  subscribeRoomReady,
  wsClient,
  type RecordedWsClient,
  type Subscription,
} from '../../testkit/clients';
import { sleep, waitFor } from '../../testkit/wait';

/** A subscriber on its own socket; after each bad input it must still get a freshly posted message. */
async function startBystander(t: TestApp, room = 'bystander') {
  const client = wsClient(t.wsUrl);
  const subscription = await subscribeRoomReady(client.client, room, (text) => postMessage(t.graphqlUrl, room, text));
  let n = 0;
  return {
    client,
    subscription,
    async stillReceives() {
      const before = subscription.received.length;
      const text = `after bad input ${++n}`;
      await postMessage(t.graphqlUrl, room, text);
      const received = await subscription.waitForCount(before + 1);
      expect(received.at(-1)?.text).toBe(text);
      expect(client.closeCodes).toEqual([]);
    },
  };
}

describe('bad WebSocket input', () => {
  let t: TestApp;
  let bystander: Awaited<ReturnType<typeof startBystander>>;
  beforeAll(async () => {
    t = await startTestApp({
      env: {
        CONNECTION_INIT_TIMEOUT_MS: '300',
        MAX_PAYLOAD_BYTES: '2048',
        MAX_SUBSCRIPTIONS_PER_SOCKET: '3',
        ALLOWED_ORIGINS: 'https://app.example.com',
        LOG_LEVEL: 'info',
      },
      // Low enough that a token-heavy document fits in one (small) frame.
      limits: { maxTokens: 100 },
    });
    bystander = await startBystander(t);
  });
  afterEach(() => bystander.stillReceives());
  afterAll(async () => {
    await bystander.client.dispose();
    await t.stop();
  });

  test.each([
    ['not JSON', '{"type": "connection_init"'],
    ['an unknown message type', { type: 'hello' }],
    ['a subscribe without an id', { type: 'subscribe', payload: { query: '{ viewer }' } }],
    ['a message that is a JSON array', '[1, 2]'],
  ])('invalid message (%s) -> 4400', async (_name, frame) => {
    const socket = await initializedSocket(t.wsUrl);
    socket.send(frame);
    expect((await socket.closed).code).toBe(CloseCode.BadRequest);
  });

  test.each([
    ['connection_ack', { type: 'connection_ack' }],
    ['next', { id: 'n', type: 'next', payload: { data: null } }],
    ['error', { id: 'e', type: 'error', payload: [{ message: 'from the client' }] }],
  ])('a message only the server sends (%s) -> 4400, logged below warn', async (type, frame) => {
    const socket = await initializedSocket(t.wsUrl);
    const opened = t.logs.filter((l) => l.event === 'ws.open').at(-1);
    socket.send(frame);
    const closed = await socket.closed;
    expect(closed).toEqual({ code: CloseCode.BadRequest, reason: `Unexpected message of type ${type} received` });
    // Any client can send these: an error-level line each time would let it flood the error log.
    const lines = await waitFor('the close logged', () => {
      const own = t.logs.filter((l) => l.connection === opened?.connection);
      return own.some((l) => l.event === 'ws.close') ? own : undefined;
    });
    expect(lines.filter((l) => l.level === 'error' || l.level === 'warn')).toEqual([]);
    expect(lines.find((l) => l.event === 'ws.invalid_message')).toMatchObject({ level: 'info', type });
  });

  test('subscribe before connection_ack -> 4401', async () => {
    const socket = rawSocket(t.wsUrl);
    await socket.opened;
    socket.send({ id: '1', type: 'subscribe', payload: { query: MESSAGE_POSTED, variables: { room: 'x' } } });
    expect((await socket.closed).code).toBe(CloseCode.Unauthorized);
  });

  test.each([
    ['the legacy graphql-ws subprotocol', ['graphql-ws']],
    ['no subprotocol', []],
  ])('wrong subprotocol (%s) -> 4406', async (_name, protocols) => {
    const socket = rawSocket(t.wsUrl, { protocols });
    expect((await socket.closed).code).toBe(CloseCode.SubprotocolNotAcceptable);
  });

  test('no connection_init within the timeout -> 4408', async () => {
    // Timed from before the connection attempt: the server's timer starts at the upgrade, which comes later.
    const started = Date.now();
    const socket = rawSocket(t.wsUrl);
    await socket.opened;
    expect((await socket.closed).code).toBe(CloseCode.ConnectionInitialisationTimeout);
    // A few ms of slack: timers may fire up to 1 ms early by Date.now().
    expect(Date.now() - started).toBeGreaterThanOrEqual(t.config.limits.connectionInitTimeoutMs - 5);
  });

  test('a second subscribe with an active id -> 4409', async () => {
    const socket = await initializedSocket(t.wsUrl);
    const subscribe = { id: 'same', type: 'subscribe', payload: { query: MESSAGE_POSTED, variables: { room: 'dup' } } };
    socket.send(subscribe);
    await sleep(50);
    socket.send(subscribe);
    expect((await socket.closed).code).toBe(CloseCode.SubscriberAlreadyExists);
  });

  test('subscribe, complete, then subscribe twice with that id -> 4409', async () => {
    // Whether the first is still starting (the re-subscribe waits for it) or not, the last one duplicates
    // an active id.
    const socket = await initializedSocket(t.wsUrl);
    const subscribe = {
      id: 'again',
      type: 'subscribe',
      payload: { query: MESSAGE_POSTED, variables: { room: 'dup' } },
    };
    socket.send(subscribe);
    socket.send({ id: 'again', type: 'complete' });
    socket.send(subscribe);
    socket.send(subscribe);
    expect((await socket.closed).code).toBe(CloseCode.SubscriberAlreadyExists);
  });

  test('a second connection_init -> 4429', async () => {
    const socket = await initializedSocket(t.wsUrl);
    socket.send({ type: 'connection_init' });
    expect((await socket.closed).code).toBe(CloseCode.TooManyInitialisationRequests);
  });

  test('a frame over MAX_PAYLOAD_BYTES -> 1009', async () => {
    const socket = await initializedSocket(t.wsUrl);
    socket.send({ id: 'big', type: 'subscribe', payload: { query: `{ viewer } # ${'x'.repeat(3000)}` } });
    expect((await socket.closed).code).toBe(CLOSE_CODES.messageTooBig);
  });

  test('a frame just under MAX_PAYLOAD_BYTES is accepted', async () => {
    const socket = await initializedSocket(t.wsUrl);
    socket.send({ id: 'fits', type: 'subscribe', payload: { query: `{ viewer } # ${'x'.repeat(1800)}` } });
    await socket.waitForMessage((m) => m.id === 'fits' && m.type === 'next');
    socket.close();
    expect((await socket.closed).code).toBe(1005);
  });

  test('a disallowed Origin is refused with HTTP 403 before the upgrade', async () => {
    const socket = rawSocket(t.wsUrl, { headers: { origin: 'https://evil.example.net' } });
    expect(await socket.refusedStatus).toBe(403);
  });

  test('allowlisted and same origins are accepted', async () => {
    for (const origin of ['https://app.example.com', `http://127.0.0.1:${t.port}`]) {
      const socket = rawSocket(t.wsUrl, { headers: { origin } });
      await socket.opened;
      socket.close();
      await socket.closed;
    }
  });

  test('an upgrade on another path is refused with HTTP 404', async () => {
    const socket = rawSocket(`ws://127.0.0.1:${t.port}/elsewhere`);
    expect(await socket.refusedStatus).toBe(404);
  });

  test('more than MAX_SUBSCRIPTIONS_PER_SOCKET: the extra subscribe gets an error, the socket and its subscriptions stay', async () => {
    const socket = await initializedSocket(t.wsUrl);
    for (const id of ['1', '2', '3']) {
      socket.send({ id, type: 'subscribe', payload: { query: MESSAGE_POSTED, variables: { room: 'crowded' } } });
    }
    await sleep(50);
    socket.send({ id: '4', type: 'subscribe', payload: { query: MESSAGE_POSTED, variables: { room: 'crowded' } } });
    const error = await socket.waitForMessage((m) => m.id === '4' && m.type === 'error');
    expect(JSON.stringify(error.payload)).toMatch(/at most 3/);
    await postMessage(t.graphqlUrl, 'crowded', 'to the three');
    for (const id of ['1', '2', '3']) await socket.waitForMessage((m) => m.id === id && m.type === 'next');
    expect(socket.ws.readyState).toBe(socket.ws.OPEN);
    // Completing one frees a slot.
    socket.send({ id: '1', type: 'complete' });
    await sleep(50);
    socket.send({ id: '5', type: 'subscribe', payload: { query: '{ viewer }' } });
    await socket.waitForMessage((m) => m.id === '5' && m.type === 'next');
    socket.close();
    await socket.closed;
  });

  test.each([
    ['a syntax error', '{ viewer'],
    ['an unknown field', '{ nope }'],
    ['too many tokens', `{ ${'viewer '.repeat(120)} }`],
    ['too many aliases', `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: viewer`).join(' ')} }`],
  ])('an invalid operation (%s) gets an error message; the socket stays', async (_name, query) => {
    const socket = await initializedSocket(t.wsUrl);
    socket.send({ id: 'bad', type: 'subscribe', payload: { query } });
    const error = await socket.waitForMessage((m) => m.id === 'bad' && m.type === 'error');
    expect(Array.isArray(error.payload)).toBe(true);
    socket.send({ id: 'good', type: 'subscribe', payload: { query: '{ viewer }' } });
    await socket.waitForMessage((m) => m.id === 'good' && m.type === 'next');
    socket.close();
    await socket.closed;
  });
});

describe('connection cap', () => {
  test('MAX_CONNECTIONS counts WebSocket and SSE; more upgrades get HTTP 503, a freed slot is reusable', async () => {
    const t = await startTestApp({ env: { MAX_CONNECTIONS: '3', LOG_LEVEL: 'info' } });
    const others: RecordedWsClient[] = [];
    try {
      const bystander = await startBystander(t);
      const second = await initializedSocket(t.wsUrl);
      const sse = await fetch(t.graphqlUrl, {
        method: 'POST',
        headers: { accept: 'text/event-stream', 'content-type': 'application/json' },
        body: JSON.stringify({ query: MESSAGE_POSTED, variables: { room: 'cap' } }),
      });
      expect(sse.status).toBe(200);
      await waitFor('3 connections', () => t.app.connections().total === 3);

      const refused = rawSocket(t.wsUrl);
      expect(await refused.refusedStatus).toBe(503);
      const refusedSse = await fetch(t.graphqlUrl, {
        method: 'POST',
        headers: { accept: 'text/event-stream', 'content-type': 'application/json' },
        body: JSON.stringify({ query: MESSAGE_POSTED, variables: { room: 'cap' } }),
      });
      expect(refusedSse.status).toBe(503);
      // Plain HTTP is not a long-lived connection and is still served.
      expect((await postMessage(t.graphqlUrl, 'cap', 'plain http')).status).toBe(200);

      second.close();
      await second.closed;
      await waitFor('a free slot', () => t.app.connections().total === 2);
      const accepted = await initializedSocket(t.wsUrl);
      accepted.close();
      await accepted.closed;
      await sse.body?.cancel();
      await bystander.stillReceives();
      others.push(bystander.client);
    } finally {
      await Promise.all(others.map((c) => c.dispose()));
      await t.stop();
    }
  });
});

describe('slow consumers', () => {
  test('a socket whose send buffer passes the high-water mark is closed with 1013; others keep receiving', async () => {
    const t = await startTestApp({ env: { LOG_LEVEL: 'info' }, limits: { maxBufferedBytes: 64 * 1024 } });
    try {
      const bystander = await startBystander(t);
      const slow = await initializedSocket(t.wsUrl);
      slow.send({ id: 's', type: 'subscribe', payload: { query: MESSAGE_POSTED, variables: { room: 'slow' } } });
      await waitFor('slow subscription live', async () => {
        await postMessage(t.graphqlUrl, 'slow', 'probe');
        return slow.messages.some((m) => m.id === 's' && m.type === 'next');
      });
      // Stop reading: the kernel buffers fill, then the server's send buffer grows.
      (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
      const big = 'x'.repeat(16 * 1024);
      let published = 0;
      // Bursts small enough for the per-subscription queue; setImmediate lets the sends happen in between.
      while (!t.logs.some((l) => l.event === 'ws.slow_consumer') && published < 4_000) {
        for (let i = 0; i < 20; i++, published++) {
          const message: Message = { id: String(published), room: 'slow', text: big, sentAt: new Date().toISOString() };
          void t.app.pubsub.publish('messagePosted', 'slow', message);
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      const log = t.logs.find((l) => l.event === 'ws.slow_consumer');
      // The guard fired at the mark, not after buffering everything that was published.
      expect(log).toMatchObject({ level: 'warn', bufferedBytes: expect.any(Number) });
      expect(log?.bufferedBytes).toBeLessThan(64 * 1024 + 2 * big.length);
      (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      const { code, reason } = await slow.closed;
      expect(code).toBe(CLOSE_CODES.slowConsumer);
      expect(reason).toMatch(/Slow consumer/);
      await bystander.stillReceives();
      await bystander.client.dispose();
    } finally {
      await t.stop();
    }
  });

  test('a subscription whose event queue overflows gets SUBSCRIPTION_OVERFLOW and its socket 1013; others keep receiving', async () => {
    const t = await startTestApp({ env: { LOG_LEVEL: 'info' }, limits: { maxQueuedEventsPerSubscription: 10 } });
    try {
      const bystander = await startBystander(t);
      const socket = await initializedSocket(t.wsUrl);
      socket.send({ id: 'b', type: 'subscribe', payload: { query: MESSAGE_POSTED, variables: { room: 'burst' } } });
      await waitFor('burst subscription live', async () => {
        await postMessage(t.graphqlUrl, 'burst', 'probe');
        return socket.messages.some((m) => m.id === 'b' && m.type === 'next');
      });
      // 50 events in one tick: more than the consumer can take before the queue bound.
      for (let i = 0; i < 50; i++) {
        void t.app.pubsub.publish('messagePosted', 'burst', {
          id: String(i),
          room: 'burst',
          text: `e${i}`,
          sentAt: '',
        });
      }
      const error = await socket.waitForMessage((m) => m.id === 'b' && m.type === 'error');
      expect(JSON.stringify(error.payload)).toContain(SUBSCRIPTION_OVERFLOW);
      expect((await socket.closed).code).toBe(CLOSE_CODES.slowConsumer);
      await bystander.stillReceives();
      await bystander.client.dispose();
    } finally {
      await t.stop();
    }
  });
});

describe.each([true, false])('deeply nested variables (shared subscriptions: %s)', (shared) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { LOG_LEVEL: 'info', SHARED_SUBSCRIPTIONS: String(shared) } });
  });
  afterAll(() => t.stop());

  /** `{"a":{"a":...}}`, `levels` deep (6 bytes a level), as JSON text: too deep for JSON.stringify here too. */
  const nested = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
  const subscribeFrame = (id: string, room: string, deep: string) =>
    `{"id":"${id}","type":"subscribe","payload":{"query":${JSON.stringify(MESSAGE_POSTED)},` +
    `"variables":{"room":"${room}","deep":${deep}}}}`;

  test('10,000 levels in a frame under the payload limit: an error for that operation, the socket stays', async () => {
    const socket = await initializedSocket(t.wsUrl);
    const frame = subscribeFrame('deep', 'deep', nested(10_000));
    expect(Buffer.byteLength(frame)).toBeLessThan(t.config.limits.maxPayloadBytes);
    socket.send(frame);
    const error = await Promise.race([
      socket.waitForMessage((m) => m.id === 'deep' && m.type === 'error'),
      socket.closed.then(({ code, reason }) => Promise.reject(new Error(`closed with ${code} ${reason}`))),
    ]);
    expect(error.payload).toEqual([
      expect.objectContaining({
        message: `Variables are nested more than ${MAX_VARIABLES_DEPTH} levels deep`,
        extensions: { code: 'BAD_USER_INPUT' },
      }),
    ]);
    // The socket is still usable, and nothing was logged as a server failure.
    socket.send({ id: 'ok', type: 'subscribe', payload: { query: MESSAGE_POSTED, variables: { room: 'deep' } } });
    await waitFor('the next subscription live', async () => {
      await postMessage(t.graphqlUrl, 'deep', 'hello');
      return socket.messages.some((m) => m.id === 'ok' && m.type === 'next');
    });
    expect(t.logs.filter((l) => l.level === 'error')).toEqual([]);
    socket.close();
    expect((await socket.closed).code).toBe(1005);
  });

  test(`variables ${MAX_VARIABLES_DEPTH} levels deep are accepted`, async () => {
    const socket = await initializedSocket(t.wsUrl);
    // The variables object is the first level.
    socket.send(subscribeFrame('fits', 'deep-ok', nested(MAX_VARIABLES_DEPTH - 1)));
    await waitFor('the subscription live', async () => {
      await postMessage(t.graphqlUrl, 'deep-ok', 'hello');
      return socket.messages.some((m) => m.id === 'fits' && m.type === 'next');
    });
    expect(socket.messages.filter((m) => m.type === 'error')).toEqual([]);
    socket.close();
    await socket.closed;
  });

  test('the same variables over HTTP get a GraphQL answer', async () => {
    const response = await fetch(t.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"query":"{ viewer }","variables":{"deep":${nested(10_000)}}}`,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { viewer: null } });
  });
});

export type { Subscription };
