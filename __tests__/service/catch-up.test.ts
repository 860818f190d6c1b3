/**
 * The live catch-up (history/catch-up.ts) on its own, against a real redis-server: the Redis event target
 * on a real subscriber connection, the Redis Stream history, and the connection taken away while events are
 * published. The read is wrapped to publish while it runs, so the seam between the history read and the
 * held live events is exercised on purpose: events published during the read are neither lost nor doubled.
 * A topic with no event delivered since it was subscribed is caught up from where its history stood then.
 */
import Redis from 'ioredis';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { LiveCatchUp, type LiveDetail } from '../../service/src/history/catch-up';
import type { Position } from '../../service/src/history/position';
import { RedisHistory, splitPositioned } from '../../service/src/history/redis-stream';
import type { ReadResult } from '../../service/src/history/store';
import { createLogger } from '../../service/src/logger';
import { startRedis, takeSubscribersAway, type RedisServer } from '../../testkit/redis';
import { waitFor } from '../../testkit/wait';

jest.setTimeout(30_000);

let redis: RedisServer;
let admin: Redis;
const connections: Redis[] = [];

beforeAll(async () => {
  redis = await startRedis();
  admin = new Redis(redis.url);
});
afterAll(async () => {
  for (const c of connections) c.disconnect();
  admin?.disconnect();
  await redis?.stop();
});

interface Received {
  readonly texts: (string | { notice: string })[];
}

const connection = () => {
  const c = new Redis(redis.url);
  connections.push(c);
  return c;
};

/** One instance's live path: publisher, subscriber, event target, history and the catch-up in front. */
async function instance(
  options: { maxHeld?: number; duringRead?: (call: number) => Promise<void>; beforeHead?: () => Promise<void> } = {},
) {
  const publisher = new Redis(redis.url);
  const subscriber = new Redis(redis.url, { retryStrategy: () => 100, connectionName: 'graphql-subscriber' });
  connections.push(publisher, subscriber);
  const target = createRedisEventTarget({
    publishClient: publisher,
    subscribeClient: subscriber,
    serializer: {
      stringify: JSON.stringify,
      parse: (message: string) => {
        const positioned = splitPositioned(message) as { position: string; json: string };
        return { position: positioned.position, payload: JSON.parse(positioned.json) as unknown };
      },
    },
  });
  const history = new RedisHistory(publisher, publisher, { maxEvents: 5, ttlMs: 60_000 });
  let reads = 0;
  let heads = 0;
  const catchUp = new LiveCatchUp(target, subscriber, {
    confirm: async (topic) => {
      await subscriber.subscribe(topic);
    },
    head: async (topic) => {
      await options.beforeHead?.();
      const head = await history.head(topic);
      heads++;
      return head;
    },
    read: async (topic: string, after: Position): Promise<ReadResult<unknown>> => {
      const call = ++reads;
      await options.duringRead?.(call);
      const result = await history.readAfter(topic, after);
      await options.duringRead?.(-call);
      return result;
    },
    maxHeld: options.maxHeld ?? 100,
    logger: createLogger('error', () => undefined),
    timeoutMs: 3_000,
  });
  const listen = (topic: string): Received => {
    const texts: Received['texts'] = [];
    catchUp.addEventListener(topic, (event) => {
      const detail = (event as CustomEvent<LiveDetail>).detail;
      texts.push(detail.notice !== undefined ? { notice: JSON.stringify(detail.notice) } : (detail.payload as string));
    });
    return { texts };
  };
  await waitFor('connected', () => publisher.status === 'ready' && subscriber.status === 'ready');
  /** Waits until the catch-up looked up where the topic's history stood when its first listener came. */
  const recorded = async () => {
    await waitFor('history head read', () => heads >= 1);
    // One more round trip on the subscriber connection: whatever the catch-up sent there first is answered.
    await subscriber.subscribe('round-trip');
  };
  return { publisher, subscriber, history, catchUp, listen, recorded, reads: () => reads };
}

/** A history used only to append (one connection for both of RedisHistory's roles). */
function appendingHistory(limits: { maxEvents: number; ttlMs: number }): RedisHistory {
  const client = connection();
  return new RedisHistory(client, client, limits);
}

test('events published while the subscriber is away and during the catch-up read: each once, in order', async () => {
  const topic = 'seam';
  const publisher = appendingHistory({ maxEvents: 100, ttlMs: 60_000 });
  const publish = (text: string) => publisher.append(topic, JSON.stringify(text));
  // During the read: e4 before it (in the history and held live), e5 after it (held live only).
  const node = await instance({
    duringRead: async (call) => {
      if (call === 1) await publish('e4');
      if (call === -1) await publish('e5');
    },
  });
  const first = node.listen(topic);
  const second = node.listen(topic);
  await node.subscriber.subscribe(topic);
  await publish('e1');
  await waitFor('e1', () => first.texts.length === 1 && second.texts.length === 1);

  const back = await takeSubscribersAway(admin);
  await waitFor('subscriber away', () => node.subscriber.status !== 'ready');
  await publish('e2');
  await publish('e3');
  await back();
  await waitFor('caught up', () => first.texts.length >= 5, 10_000);
  await publish('e6');
  await waitFor('live', () => first.texts.length >= 6 && second.texts.length >= 6);

  for (const received of [first, second]) expect(received.texts).toEqual(['e1', 'e2', 'e3', 'e4', 'e5', 'e6']);
  expect(node.reads()).toBe(1); // one read for both local subscribers
  expect(node.catchUp.counters).toEqual({
    topicsCaughtUp: 1,
    eventsReplayed: 3,
    notRecovered: { epoch: 0, window: 0, unavailable: 0 },
  });
});

test('history flushed while away: a notice (epoch) replaces the lost events, then the new history live', async () => {
  const topic = 'flushed';
  const publisher = appendingHistory({ maxEvents: 100, ttlMs: 60_000 });
  const publish = (text: string) => publisher.append(topic, JSON.stringify(text));
  const node = await instance({ duringRead: async (call) => void (call === -1 && (await publish('n2'))) });
  const received = node.listen(topic);
  await node.subscriber.subscribe(topic);
  await publish('o1');
  await waitFor('o1', () => received.texts.length === 1);

  const back = await takeSubscribersAway(admin);
  await waitFor('subscriber away', () => node.subscriber.status !== 'ready');
  await publish('o2');
  await admin.flushall();
  await publish('n1');
  await back();
  await waitFor('told', () => received.texts.length >= 3, 10_000);
  await publish('n3');
  await waitFor('live', () => received.texts.length >= 4);
  // n1 came before the subscriber was back: lost with the old history's tail, hence the notice.
  expect(received.texts).toEqual(['o1', { notice: '{"recovered":false,"reason":"epoch"}' }, 'n2', 'n3']);
  expect(node.catchUp.counters.notRecovered).toEqual({ epoch: 1, window: 0, unavailable: 0 });
});

test('more missed than the history keeps: a notice (window), then live', async () => {
  const topic = 'window';
  const publisher = appendingHistory({ maxEvents: 2, ttlMs: 60_000 });
  await admin.config('SET', 'stream-node-max-entries', '2');
  const publish = (text: string) => publisher.append(topic, JSON.stringify(text));
  const node = await instance();
  const received = node.listen(topic);
  await node.subscriber.subscribe(topic);
  await publish('w1');
  await waitFor('w1', () => received.texts.length === 1);

  const back = await takeSubscribersAway(admin);
  await waitFor('subscriber away', () => node.subscriber.status !== 'ready');
  for (let i = 2; i <= 12; i++) await publish(`w${i}`);
  await back();
  await waitFor('told', () => received.texts.length >= 2, 10_000);
  await publish('w13');
  await waitFor('live', () => received.texts.length >= 3);
  await admin.config('SET', 'stream-node-max-entries', '100');
  expect(received.texts).toEqual(['w1', { notice: '{"recovered":false,"reason":"window"}' }, 'w13']);
});

test('more live events during the catch-up than can be held: a notice (window), then all of them', async () => {
  const topic = 'flood';
  const publisher = appendingHistory({ maxEvents: 100, ttlMs: 60_000 });
  const publish = (text: string) => publisher.append(topic, JSON.stringify(text));
  // The read waits until five live events came: one more than can be held, so the topic gave up holding.
  let received: Received = { texts: [] };
  const node = await instance({
    maxHeld: 4,
    duringRead: async (call) => {
      if (call !== 1) return;
      for (let i = 1; i <= 5; i++) await publish(`h${i}`);
      await waitFor('held events released', () => received.texts.length === 7);
    },
  });
  received = node.listen(topic);
  await node.subscriber.subscribe(topic);
  await publish('f1');
  await waitFor('f1', () => received.texts.length === 1);

  const back = await takeSubscribersAway(admin);
  await waitFor('subscriber away', () => node.subscriber.status !== 'ready');
  await publish('f2');
  await back();
  await waitFor('released', () => received.texts.length >= 7, 10_000);
  await publish('f3');
  await waitFor('live', () => received.texts.length >= 8);
  expect(received.texts).toEqual([
    'f1',
    { notice: '{"recovered":false,"reason":"window"}' },
    'h1',
    'h2',
    'h3',
    'h4',
    'h5',
    'f3',
  ]);
});

describe('a topic with no event delivered since it was subscribed', () => {
  /**
   * Publishes `before`, subscribes, takes the subscriber away, runs `away` (publishing), brings it back, waits
   * for `expected` results, then publishes `after` live.
   */
  async function awayAfterSubscribing(
    topic: string,
    opts: { before?: string[]; maxEvents?: number; away: (publish: (t: string) => Promise<unknown>) => Promise<void> },
    expected: number,
    after: string,
  ) {
    const publisher = appendingHistory({ maxEvents: opts.maxEvents ?? 100, ttlMs: 60_000 });
    const publish = (text: string) => publisher.append(topic, JSON.stringify(text));
    for (const text of opts.before ?? []) await publish(text);
    const node = await instance();
    const received = node.listen(topic);
    await node.recorded();

    const back = await takeSubscribersAway(admin);
    await waitFor('subscriber away', () => node.subscriber.status !== 'ready');
    await opts.away(publish);
    await back();
    await waitFor('caught up', () => received.texts.length >= expected, 10_000);
    await publish(after);
    await waitFor('live', () => received.texts.length >= expected + 1);
    return { node, received };
  }
  const each = (texts: string[]) => async (publish: (t: string) => Promise<unknown>) => {
    for (const text of texts) await publish(text);
  };

  test('no history yet: the events published while away, once, in order, then live', async () => {
    const { node, received } = await awayAfterSubscribing('fresh', { away: each(['a1', 'a2', 'a3']) }, 3, 'a4');
    expect(received.texts).toEqual(['a1', 'a2', 'a3', 'a4']);
    expect(node.catchUp.counters).toEqual({
      topicsCaughtUp: 1,
      eventsReplayed: 3,
      notRecovered: { epoch: 0, window: 0, unavailable: 0 },
    });
  });

  test('history from before the subscription: only the events published while away, then live', async () => {
    const away = each(['b1', 'b2']);
    const { node, received } = await awayAfterSubscribing('older', { before: ['o1', 'o2'], away }, 2, 'b3');
    expect(received.texts).toEqual(['b1', 'b2', 'b3']);
    expect(node.catchUp.counters.eventsReplayed).toBe(2);
  });

  test('no history yet, then more missed than the history keeps: a notice (window), then live', async () => {
    await admin.config('SET', 'stream-node-max-entries', '2');
    const away = each(Array.from({ length: 12 }, (_, i) => `c${i + 1}`));
    const { received } = await awayAfterSubscribing('fresh-window', { maxEvents: 2, away }, 1, 'c13');
    await admin.config('SET', 'stream-node-max-entries', '100');
    expect(received.texts).toEqual([{ notice: '{"recovered":false,"reason":"window"}' }, 'c13']);
  });

  test('history from before, lost and recreated while away: a notice (epoch), then live', async () => {
    const away = async (publish: (t: string) => Promise<unknown>) => {
      await publish('d1');
      await admin.flushall();
      await publish('d2');
    };
    const { received } = await awayAfterSubscribing('recreated', { before: ['o1'], away }, 1, 'd3');
    expect(received.texts).toEqual([{ notice: '{"recovered":false,"reason":"epoch"}' }, 'd3']);
  });
});

test('the connection drops before the history head was recorded: a notice (unavailable), then live', async () => {
  const topic = 'no-head';
  const publisher = appendingHistory({ maxEvents: 100, ttlMs: 60_000 });
  const publish = (text: string) => publisher.append(topic, JSON.stringify(text));
  await publish('o1');
  // The first head lookup waits until the subscriber connection is away, so the topic has no position then.
  let away: (() => void) | undefined;
  const gone = new Promise<void>((resolve) => (away = resolve));
  let lookups = 0;
  const node = await instance({
    beforeHead: async () => {
      if (++lookups === 1) await gone;
    },
  });
  const received = node.listen(topic);
  await waitFor('head lookup started', () => lookups === 1);
  const back = await takeSubscribersAway(admin);
  await waitFor('subscriber away', () => node.subscriber.status !== 'ready');
  away?.();
  await publish('n1');
  await publish('n2');
  await back();
  await waitFor(
    'caught up',
    () => node.catchUp.counters.notRecovered.unavailable + node.catchUp.counters.topicsCaughtUp >= 1,
    10_000,
  );
  await node.subscriber.subscribe('round-trip');
  await publish('n3');
  await waitFor('live', () => received.texts.includes('n3'));
  expect(received.texts).toEqual([{ notice: '{"recovered":false,"reason":"unavailable"}' }, 'n3']);
  expect(node.catchUp.counters).toEqual({
    topicsCaughtUp: 0,
    eventsReplayed: 0,
    notRecovered: { epoch: 0, window: 0, unavailable: 1 },
  });
});

test('a stray message with a malformed position: the catch-up reads after the last valid one', async () => {
  const topic = 'stray';
  const publisher = appendingHistory({ maxEvents: 100, ttlMs: 60_000 });
  const publish = (text: string) => publisher.append(topic, JSON.stringify(text));
  const node = await instance();
  const received = node.listen(topic);
  await node.recorded();
  await publish('g1');
  // Anyone who can PUBLISH to the channel: a position that does not parse, with a JSON body.
  await admin.publish(topic, '@garbage\n"stray"');
  await waitFor('g1 and the stray message', () => received.texts.length === 2);

  const back = await takeSubscribersAway(admin);
  await waitFor('subscriber away', () => node.subscriber.status !== 'ready');
  await publish('g2');
  await back();
  await waitFor('caught up', () => received.texts.length >= 3, 10_000);
  await publish('g3');
  await waitFor('live', () => received.texts.length >= 4);
  expect(received.texts).toEqual(['g1', 'stray', 'g2', 'g3']);
  expect(node.catchUp.counters).toMatchObject({ topicsCaughtUp: 1, eventsReplayed: 1 });
});

test('close() stops the retries of a head lookup that keeps failing', async () => {
  let attempts = 0;
  const { catchUp, listen } = await instance({
    beforeHead: async () => {
      attempts++;
      throw new Error('head lookup refused');
    },
  });
  listen('closing');
  await waitFor('retrying', () => attempts >= 3, 10_000, 20);
  catchUp.close();
  const atClose = attempts;
  // The retries were 100, 200, 300 ms apart: a second covers several more had it gone on.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  expect(attempts).toBeLessThanOrEqual(atClose + 1);
});
