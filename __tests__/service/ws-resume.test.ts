/**
 * Resumable subscriptions over WebSocket, against two instances sharing a real redis-server:
 * - protocol level (raw graphql-ws client): every `next` carries `extensions.position` and nothing new in
 *   `data`; a `subscribe` with `extensions.resumeFrom` is answered with a recovery result, the missed events
 *   in order, then live ones; a position older than the window or of another epoch says not recovered and
 *   continues live; a malformed one is that operation's INVALID_POSITION error and the socket stays open;
 * - the recommended client: its socket's instance drains (1012), it reconnects to the other instance and
 *   the app's sink gets every message posted meanwhile, once, in order, with onRecovery told it recovered;
 *   away for longer than the window, it is told recovery was incomplete (window) and live delivery resumes.
 */
import Redis from 'ioredis';
import WebSocket from 'ws';
import { createRecommendedClient, type RecoveryOutcome } from '../../client/recommended-client';
import { INVALID_POSITION } from '../../service/src/history/position';
import { streamKey } from '../../service/src/history/redis-stream';
import { startTestApp, type TestApp } from '../../testkit/app';
import { MESSAGE_POSTED, postMessage, postedTexts, type PositionedResult } from '../../testkit/clients';
import { freePort } from '../../testkit/ports';
import { type RedisServer } from '../../testkit/redis';
import { startTwoInstances, type TwoInstances } from '../../testkit/two-instances';
import { waitFor } from '../../testkit/wait';

jest.setTimeout(60_000);

type Result = PositionedResult;

let instances: TwoInstances;
let redis: RedisServer;
let a: TestApp;
let b: TestApp;

beforeAll(async () => {
  instances = await startTwoInstances();
  ({ redis, a, b } = instances);
});
afterAll(() => instances?.stop());

const record = (app: TestApp, room: string, extensions?: Record<string, unknown>, lazy = true) =>
  instances.record(app, room, { extensions, lazy });

const texts = postedTexts;

test('positions on every next; resumeFrom replays the gap (posted on the other instance), then live', async () => {
  const room = 'ws-resume';
  const first = record(b, room);
  await waitFor('subscribed', () => b.app.pubsub.subscriberCount('messagePosted', room) === 1);
  await postMessage(a.graphqlUrl, room, 'm1');
  await waitFor('m1', () => first.results.length === 1);
  const position = first.results[0]?.extensions?.position as string;
  expect(first.results[0]).toEqual({
    data: { messagePosted: expect.objectContaining({ text: 'm1' }) },
    extensions: { position: expect.stringMatching(/^1\.[A-Za-z0-9_-]+\.0-\d+$/) },
  });
  for (const text of ['m2', 'm3']) await postMessage(a.graphqlUrl, room, text);
  // The gap has reached b's group: otherwise part of it may arrive live after the replay (no loss, but
  // `replayed` counts less).
  await waitFor('m2 and m3 on b', () => first.results.length === 3);

  const resumed = record(b, room, { resumeFrom: position });
  await waitFor('replayed', () => resumed.results.length === 3);
  await postMessage(a.graphqlUrl, room, 'm4');
  await waitFor('live', () => resumed.results.length === 4);
  expect(resumed.results[0]).toEqual({ extensions: { recovery: { recovered: true, replayed: 2 } } });
  expect(texts(resumed.results)).toEqual(['m2', 'm3', 'm4']);
  expect(resumed.errors).toEqual([]);
});

test('a position of another epoch: not recovered (epoch), live continues', async () => {
  const room = 'ws-epoch';
  await postMessage(a.graphqlUrl, room, 'before');
  const resumed = record(a, room, { resumeFrom: '1.notThisHistory.0-1' });
  await waitFor('recovery', () => resumed.results.length === 1);
  expect(resumed.results[0]).toEqual({ extensions: { recovery: { recovered: false, reason: 'epoch' } } });
  // The shared group and, until the first live event, the resuming operation's own execution.
  await waitFor('subscribed', () => a.app.pubsub.subscriberCount('messagePosted', room) === 2);
  await postMessage(b.graphqlUrl, room, 'after');
  await waitFor('live', () => resumed.results.length === 2);
  expect(texts(resumed.results)).toEqual(['after']);
});

test('malformed resumeFrom: INVALID_POSITION for that operation; the socket carries on', async () => {
  const bad = record(a, 'ws-bad', { resumeFrom: { not: 'a string' } }, false);
  // graphql-ws answers a subscription that fails before its stream exists with one result, then complete.
  await waitFor('error result', () => bad.results.length === 1);
  expect(bad.results[0]?.errors?.[0]?.extensions).toEqual({ code: INVALID_POSITION });
  expect(bad.results[0]?.errors?.[0]?.message).toContain('expected a string, got object');
  const good = await new Promise((resolve, reject) =>
    bad.client.client.subscribe({ query: '{ viewer }' }, { next: resolve, error: reject, complete: () => undefined }),
  );
  expect(good).toEqual({ data: { viewer: null } });
  expect(bad.client.connected()).toBe(1);
  expect(bad.client.closeCodes).toEqual([]);
});

/** The recommended client on `url()` (read at each connect), with a fixed retry delay, subscribed to `room`. */
function recommendedSubscriber(url: () => string, room: string, retryMs: number) {
  const outcomes: RecoveryOutcome[] = [];
  const client = createRecommendedClient({
    url,
    webSocketImpl: WebSocket,
    backoff: { baseMs: retryMs, capMs: retryMs },
    onRecovery: (outcome) => outcomes.push(outcome),
  });
  const received: Result[] = [];
  client.subscribe<Result['data'], Result['extensions']>(
    { query: MESSAGE_POSTED, variables: { room } },
    { next: (r) => received.push(r as Result), error: () => undefined, complete: () => undefined },
  );
  return { client, outcomes, received };
}

test('recommended client: drained off A, resumes on B with every message posted meanwhile, once, in order', async () => {
  const room = 'ws-drain';
  // A third instance to drain, so `a` and `b` stay up for the other tests.
  const c = await startTestApp({ env: { REDIS_URL: redis.url, DRAIN_WINDOW_MS: '0' } });
  await waitFor('ready', () => c.app.pubsub.status().ready);
  let target = c.wsUrl;
  const { client, outcomes, received } = recommendedSubscriber(() => target, room, 300);
  try {
    await waitFor('subscribed on C', () => c.app.pubsub.subscriberCount('messagePosted', room) === 1);
    await postMessage(a.graphqlUrl, room, 'p1');
    await waitFor('p1', () => received.length === 1);
    target = b.wsUrl;
    const draining = c.app.drain('test');
    // Posted while the client is between instances.
    for (let i = 2; i <= 6; i++) await postMessage(a.graphqlUrl, room, `p${i}`);
    await draining;
    await waitFor('caught up on B', () => received.length === 6, 15_000);
    await postMessage(a.graphqlUrl, room, 'p7');
    await waitFor('live on B', () => received.length === 7);
    expect(texts(received)).toEqual(['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7']);
    expect(outcomes).toEqual([{ recovered: true, replayed: expect.any(Number) }]);
    expect(client.stats.closeCodes).toContain(1012);
  } finally {
    await client.dispose();
    await c.stop();
  }
});

test('recommended client away longer than the window: told not recovered (window), live resumes', async () => {
  const room = 'ws-window';
  // Small macro-nodes, so the approximate MAXLEN of a 3-event history trims after a few events.
  const raw = new Redis(redis.url);
  await raw.config('SET', 'stream-node-max-entries', '2');
  const c = await startTestApp({ env: { REDIS_URL: redis.url, HISTORY_MAX_EVENTS: '3', DRAIN_WINDOW_MS: '0' } });
  await waitFor('ready', () => c.app.pubsub.status().ready);
  let target = c.wsUrl;
  const { client, outcomes, received } = recommendedSubscriber(() => target, room, 200);
  try {
    await waitFor('subscribed', () => c.app.pubsub.subscriberCount('messagePosted', room) === 1);
    await postMessage(c.graphqlUrl, room, 'w1');
    await waitFor('w1', () => received.length === 1);
    // The socket drops and reconnecting fails (nothing listens there) while 20 events push w1 out of history.
    target = `ws://127.0.0.1:${await freePort()}/graphql`;
    client.terminate();
    await waitFor('unsubscribed', () => c.app.pubsub.subscriberCount('messagePosted', room) === 0);
    for (let i = 2; i <= 21; i++) await postMessage(c.graphqlUrl, room, `w${i}`);
    expect(await raw.xlen(streamKey(`messagePosted:${room}`))).toBeLessThan(20);
    target = c.wsUrl;
    await waitFor('told', () => outcomes.length === 1, 15_000);
    expect(outcomes).toEqual([{ recovered: false, reason: 'window' }]);
    // The shared group and, until the first live event, the resuming operation's own execution.
    await waitFor('resubscribed', () => c.app.pubsub.subscriberCount('messagePosted', room) === 2);
    await postMessage(c.graphqlUrl, room, 'live');
    await waitFor('live', () => received.length === 2);
    expect(texts(received)).toEqual(['w1', 'live']);
    expect(client.stats.reconnects).toBe(1);
  } finally {
    await client.dispose();
    await c.stop();
    await raw.config('SET', 'stream-node-max-entries', '100');
    raw.disconnect();
  }
});

test('a resuming socket replays its gap on its own, then joins the shared group with no gap or duplicate', async () => {
  const room = 'ws-group';
  // The positions come from A; B's group starts after g3, so its recent frames do not hold g1.
  const witness = record(a, room);
  await waitFor('witness subscribed', () => a.app.pubsub.subscriberCount('messagePosted', room) === 1);
  await postMessage(a.graphqlUrl, room, 'g1');
  await waitFor('g1', () => witness.results.length === 1);
  const position = witness.results[0]?.extensions?.position as string;
  for (const text of ['g2', 'g3']) await postMessage(a.graphqlUrl, room, text);
  await waitFor('g3', () => witness.results.length === 3);
  const plain = record(b, room);
  await waitFor('group subscribed', () => b.app.pubsub.subscriberCount('messagePosted', room) === 1);
  const before = b.app.sharedSubscriptions().members;

  const resumed = record(b, room, { resumeFrom: position });
  await waitFor('replayed', () => resumed.results.length === 3);
  // Its member holds the group's frames meanwhile: the topic has two listeners (group, own execution).
  expect(b.app.sharedSubscriptions().members).toBe(before + 1);
  expect(b.app.pubsub.subscriberCount('messagePosted', room)).toBe(2);
  // Posted back to back, so some reach the group while the socket still runs its own execution.
  await Promise.all(['g4', 'g5', 'g6', 'g7', 'g8'].map((text) => postMessage(a.graphqlUrl, room, text)));
  await waitFor('live', () => resumed.results.length === 8 && plain.results.length === 5);
  await waitFor('witness', () => witness.results.length === 8);
  expect(resumed.results[0]).toEqual({ extensions: { recovery: { recovered: true, replayed: 2 } } });
  // Exactly what a plain subscriber got after g1, in the same (publish) order, each once.
  expect(texts(resumed.results)).toEqual(texts(witness.results).slice(1));
  expect(texts(plain.results)).toEqual(texts(witness.results).slice(3));
  // Joined: its own execution is gone, only the group listens to the topic.
  await waitFor('own execution returned', () => b.app.pubsub.subscriberCount('messagePosted', room) === 1);
  await postMessage(a.graphqlUrl, room, 'g9');
  await waitFor('g9 from the group', () => resumed.results.length === 9);
  expect(texts(resumed.results).slice(-1)).toEqual(['g9']);
  expect(resumed.errors).toEqual([]);
});

test('a resume from a position the group delivered recently is served from its frames: no execution of its own', async () => {
  const room = 'ws-recent';
  const plain = record(b, room);
  await waitFor('group subscribed', () => b.app.pubsub.subscriberCount('messagePosted', room) === 1);
  for (const text of ['r1', 'r2', 'r3']) await postMessage(a.graphqlUrl, room, text);
  await waitFor('r3', () => plain.results.length === 3);
  const position = plain.results[0]?.extensions?.position as string;
  const before = b.app.sharedSubscriptions().members;

  const resumed = record(b, room, { resumeFrom: position });
  await waitFor('replayed', () => resumed.results.length === 3);
  expect(resumed.results[0]).toEqual({ extensions: { recovery: { recovered: true, replayed: 2 } } });
  expect(resumed.results.slice(1)).toEqual(plain.results.slice(1));
  // A member of the group from the start: no own execution, so no second listener on the topic.
  expect(b.app.sharedSubscriptions().members).toBe(before + 1);
  expect(b.app.pubsub.subscriberCount('messagePosted', room)).toBe(1);
  await Promise.all(['r4', 'r5'].map((text) => postMessage(a.graphqlUrl, room, text)));
  await waitFor('live', () => resumed.results.length === 5 && plain.results.length === 5);
  expect(texts(resumed.results)).toEqual(texts(plain.results).slice(1));
  expect(resumed.errors).toEqual([]);
});
