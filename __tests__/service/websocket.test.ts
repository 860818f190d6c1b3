/**
 * WebSocket transport with the real graphql-ws client: subscriptions, queries and mutations on the same
 * socket, connection counting, keepalive (pings at the configured interval, dead peers terminated).
 */
import { startTestApp, type TestApp } from '../../testkit/app';
import { postMessage, rawSocket, subscribeRoomReady, wsClient, type RecordedWsClient } from '../../testkit/clients';
import { sleep, waitFor } from '../../testkit/wait';

describe('WebSocket (graphql-transport-ws)', () => {
  let t: TestApp;
  const clients: RecordedWsClient[] = [];
  const client = () => {
    const c = wsClient(t.wsUrl);
    clients.push(c);
    return c;
  };
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.dispose()));
  });
  afterAll(() => t.stop());

  test('a subscriber receives messages posted over HTTP, in order, only for its room', async () => {
    const { client: c } = client();
    const lobby = await subscribeRoomReady(c, 'lobby', (text) => postMessage(t.graphqlUrl, 'lobby', text));
    // Live too (it received a probe), so receiving nothing below is isolation, not a subscription not yet started.
    const other = await subscribeRoomReady(c, 'other', (text) => postMessage(t.graphqlUrl, 'other', text));
    const before = lobby.received.length;
    const otherBefore = other.received.length;
    for (const text of ['one', 'two', 'three']) await postMessage(t.graphqlUrl, 'lobby', text);
    const received = await lobby.waitForCount(before + 3);
    expect(received.slice(before).map((m) => m.text)).toEqual(['one', 'two', 'three']);
    expect(received.slice(before).map((m) => m.room)).toEqual(['lobby', 'lobby', 'lobby']);
    // One socket delivers in order: a lobby message leaking into `other` would arrive before this one.
    await postMessage(t.graphqlUrl, 'other', 'for other');
    const otherReceived = await other.waitForCount(otherBefore + 1);
    expect(otherReceived.slice(otherBefore).map((m) => m.text)).toEqual(['for other']);
  });

  test('queries and mutations run over the same socket', async () => {
    const { client: c } = client();
    const subscription = await subscribeRoomReady(c, 'ws-mutations', (text) =>
      c
        .iterate({
          query: 'mutation($t: String!) { postMessage(room: "ws-mutations", text: $t) { id } }',
          variables: { t: text },
        })
        .next(),
    );
    const info = await c.iterate({ query: '{ serverInfo { instanceId connectionCount } viewer }' }).next();
    expect(info.value?.data).toMatchObject({
      serverInfo: { instanceId: t.config.instanceId, connectionCount: 1 },
      viewer: null,
    });
    expect(subscription.errors).toEqual([]);
  });

  test('the connection count follows sockets opening and closing, and a normal close is logged with 1000', async () => {
    // Earlier tests' sockets log too (their closes may land during this test): only this test's sockets count.
    const from = t.logs.length;
    const a = client();
    const b = client();
    const subA = await subscribeRoomReady(a.client, 'count', (text) => postMessage(t.graphqlUrl, 'count', text));
    await subscribeRoomReady(b.client, 'count', (text) => postMessage(t.graphqlUrl, 'count', text));
    expect(t.app.connections().webSocket).toBe(2);
    subA.unsubscribe();
    await a.dispose();
    await waitFor('one socket left', () => t.app.connections().webSocket === 1);
    const opened = t.logs.slice(from).filter((l) => l.event === 'ws.open');
    expect(opened.map((l) => l.address)).toEqual(['127.0.0.1', '127.0.0.1']);
    const ours = new Set(opened.map((l) => l.connection));
    const closed = t.logs.filter((l) => l.event === 'ws.close' && ours.has(l.connection));
    // One of the two, closed by the client (no closedBy) with 1000.
    expect(closed).toEqual([expect.objectContaining({ code: 1000, address: '127.0.0.1' })]);
    expect(closed[0]?.closedBy).toBeUndefined();
  });

  test('the client address is the last X-Forwarded-For hop (the one the load balancer appended)', async () => {
    // 203.0.113.7 was sent by the client itself (forgeable); 10.0.0.2 was appended by the proxy.
    const socket = rawSocket(t.wsUrl, { headers: { 'x-forwarded-for': '203.0.113.7, 10.0.0.2' } });
    await socket.opened;
    await waitFor('ws.open log', () => t.logs.find((l) => l.event === 'ws.open' && l.address === '10.0.0.2'));
    expect(t.logs.some((l) => l.event === 'ws.open' && l.address === '203.0.113.7')).toBe(false);
    socket.close();
    await socket.closed;
  });
});

describe('WebSocket keepalive', () => {
  let t: TestApp;
  const intervalMs = 200;
  beforeAll(async () => {
    t = await startTestApp({ env: { KEEPALIVE_INTERVAL_MS: String(intervalMs) } });
  });
  afterAll(() => t.stop());

  test('the server pings at the configured interval and a live client stays connected', async () => {
    const started = Date.now();
    const socket = rawSocket(t.wsUrl);
    let pings = 0;
    socket.ws.on('ping', () => pings++);
    await socket.opened;
    socket.send({ type: 'connection_init' });
    await sleep(intervalMs * 6);
    const elapsed = Date.now() - started;
    // The sweep timer is app-wide (random phase) and a busy event loop delays it, so fewer than 6 pings is
    // normal; more than one per interval elapsed (plus the first, at any phase) would be a wrong interval.
    expect(pings).toBeGreaterThanOrEqual(3);
    expect(pings).toBeLessThanOrEqual(Math.floor(elapsed / intervalMs) + 1);
    expect(socket.ws.readyState).toBe(socket.ws.OPEN);
    socket.close();
    await socket.closed;
  });

  test('a peer that stops answering pings is terminated within two intervals, others are untouched', async () => {
    const live = wsClient(t.wsUrl);
    const subscription = await subscribeRoomReady(live.client, 'keepalive', (text) =>
      postMessage(t.graphqlUrl, 'keepalive', text),
    );
    const dead = rawSocket(t.wsUrl, { autoPong: false });
    await dead.opened;
    dead.send({ type: 'connection_init' });
    const started = Date.now();
    const { code } = await dead.closed;
    const elapsed = Date.now() - started;
    // Terminated (no close frame): the client sees 1006.
    expect(code).toBe(1006);
    // Two sweeps (ping, then no pong -> terminate) plus the sweep's phase: 3 intervals; the rest is event-loop slack.
    expect(elapsed).toBeLessThanOrEqual(intervalMs * 3 + 1_000);
    expect(t.logs.some((l) => l.event === 'keepalive.terminated')).toBe(true);
    const before = subscription.received.length;
    await postMessage(t.graphqlUrl, 'keepalive', 'still here');
    await subscription.waitForCount(before + 1);
    await live.dispose();
  });
});
