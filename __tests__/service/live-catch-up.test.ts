/**
 * Subscriptions whose sockets stay open while their instance's Redis subscriber connection goes away and
 * comes back (a failover, a network blip, Redis restarted), against two instances sharing a real
 * redis-server (events are published on the other one):
 * - the history covers the gap: every subscription (shared group members, a per-connection WebSocket
 *   operation) gets every event once, in order, with no message about it and without reconnecting;
 * - Redis restarted empty: every subscription (shared group members, the recommended client, a
 *   per-connection WebSocket operation, SSE) gets one result with only `extensions.recovery`
 *   `{ recovered: false, reason: 'epoch' }` in its stream, then the new history's events live.
 */
import { EventSource } from 'eventsource';
import Redis from 'ioredis';
import WebSocket from 'ws';
import { createRecommendedClient, type RecoveryOutcome } from '../../client/recommended-client';
import { type TestApp } from '../../testkit/app';
import { MESSAGE_POSTED, postMessage, postedTexts, type PositionedResult } from '../../testkit/clients';
import { takeSubscribersAway, type RedisServer } from '../../testkit/redis';
import { startTwoInstances, type TwoInstances } from '../../testkit/two-instances';
import { waitFor } from '../../testkit/wait';

jest.setTimeout(60_000);

type Result = PositionedResult;

let instances: TwoInstances;
let redis: RedisServer;
let admin: Redis;
let a: TestApp;
let b: TestApp;

beforeAll(async () => {
  instances = await startTwoInstances();
  ({ redis, a, b } = instances);
  admin = new Redis(redis.url);
});
afterAll(async () => {
  admin?.disconnect();
  await instances?.stop();
});

/** A graphql-ws subscription on `app`; an extension other than resumeFrom makes it run per connection. */
const recordWs = (app: TestApp, room: string, extensions?: Record<string, unknown>) =>
  instances.record(app, room, { extensions });

const texts = postedTexts;
const subscribers = (app: TestApp, room: string) => app.app.pubsub.subscriberCount('messagePosted', room);

test('sockets stay open while the subscriber is away and events are published: every event once, in order', async () => {
  const room = 'away';
  const members = [recordWs(a, room), recordWs(a, room)];
  const own = recordWs(a, room, { tracing: true });
  const all = [...members, own];
  // The shared group's execution and the per-connection one.
  await waitFor('subscribed', () => subscribers(a, room) === 2);
  expect(a.app.sharedSubscriptions().members).toBeGreaterThanOrEqual(2);
  await postMessage(b.graphqlUrl, room, 'm1');
  await waitFor('m1', () => all.every((s) => s.results.length === 1));

  const back = await takeSubscribersAway(admin);
  await waitFor('subscriber away', () => !a.app.pubsub.status().ready);
  for (let i = 2; i <= 6; i++) await postMessage(b.graphqlUrl, room, `m${i}`);
  await back();
  await waitFor('caught up', () => all.every((s) => s.results.length === 6), 15_000);
  await postMessage(b.graphqlUrl, room, 'm7');
  await waitFor('live', () => all.every((s) => s.results.length === 7));

  for (const s of all) {
    expect(texts(s.results)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7']);
    expect(s.results.every((r) => r.extensions?.recovery === undefined)).toBe(true);
    expect(s.errors).toEqual([]);
    expect(s.client.connected()).toBe(1);
    expect(s.client.closeCodes).toEqual([]);
  }
  expect(a.app.pubsub.status().catchUp).toEqual({
    topicsCaughtUp: 1,
    eventsReplayed: 5,
    notRecovered: { epoch: 0, window: 0, unavailable: 0 },
  });
  expect(a.logs).toContainEqual(
    expect.objectContaining({ event: 'pubsub.catch_up', topics: 1, caughtUp: 1, replayed: 5 }),
  );
});

test('Redis restarted empty: each subscription is told not recovered (epoch) in-stream, then live', async () => {
  const room = 'restarted';
  const members = [recordWs(a, room), recordWs(a, room)];
  const own = recordWs(a, room, { tracing: true });
  const outcomes: RecoveryOutcome[] = [];
  const recommended = createRecommendedClient({
    url: a.wsUrl,
    webSocketImpl: WebSocket,
    onRecovery: (outcome) => outcomes.push(outcome),
  });
  const viaRecommended: Result[] = [];
  recommended.subscribe<Result['data'], Result['extensions']>(
    { query: MESSAGE_POSTED, variables: { room } },
    { next: (r) => viaRecommended.push(r as Result), error: () => undefined, complete: () => undefined },
  );
  const query = `query=${encodeURIComponent(MESSAGE_POSTED)}&variables=${encodeURIComponent(JSON.stringify({ room }))}`;
  const sse = new EventSource(`${a.graphqlUrl}?${query}`);
  let sseOpened = 0;
  sse.addEventListener('open', () => sseOpened++);
  const viaSse: Result[] = [];
  sse.addEventListener('next', (event) => viaSse.push(JSON.parse(event.data) as Result));
  const ws = [...members, own];
  const told = () => [...ws.map((s) => s.results), viaSse];
  try {
    // The shared group (both members and the recommended client), the per-connection operation, SSE.
    await waitFor('subscribed', () => subscribers(a, room) === 3);
    await postMessage(b.graphqlUrl, room, 'before');
    await waitFor('before', () => [...told(), viaRecommended].every((r) => r.length === 1));

    const epochsBefore = a.app.pubsub.status().catchUp?.notRecovered.epoch ?? 0;
    await redis.restart();
    // The recommended client hands the recovery result to onRecovery, not to the app's sink.
    await waitFor('told', () => told().every((r) => r.length === 2) && outcomes.length === 1, 20_000);
    await waitFor('both ready', () => a.app.pubsub.status().ready && b.app.pubsub.status().ready);
    await postMessage(b.graphqlUrl, room, 'after');
    await waitFor('live', () => told().every((r) => r.length === 3) && viaRecommended.length === 2);

    for (const results of told()) {
      expect(results[1]).toEqual({ extensions: { recovery: { recovered: false, reason: 'epoch' } } });
      expect(texts(results)).toEqual(['before', 'after']);
      // The new history's position.
      expect(results[2]?.extensions?.position?.split('.')[1]).not.toBe(results[0]?.extensions?.position?.split('.')[1]);
    }
    expect(outcomes).toEqual([{ recovered: false, reason: 'epoch' }]);
    expect(texts(viaRecommended)).toEqual(['before', 'after']);
    expect(recommended.stats.reconnects).toBe(0);
    for (const s of ws) expect(s.client.closeCodes).toEqual([]);
    expect(sseOpened).toBe(1);
    // This test's topic and the first test's (its subscriptions are still open).
    expect(a.app.pubsub.status().catchUp?.notRecovered.epoch).toBe(epochsBefore + 2);
    expect(a.app.pubsub.status().catchUp?.notRecovered.unavailable).toBe(0);
    expect(a.logs).toContainEqual(
      expect.objectContaining({
        event: 'pubsub.catch_up_not_recovered',
        topic: `messagePosted:${room}`,
        reason: 'epoch',
        subscriptions: 3,
      }),
    );
  } finally {
    sse.close();
    await recommended.dispose();
  }
});
