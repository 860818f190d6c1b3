/**
 * The Redis pub/sub's subscriptions (pubsub.ts) through a live catch-up (history/catch-up.ts), against a
 * real redis-server: what a subscription's queue and the catch-up do with the events missed while the
 * subscriber connection was away, and the channel subscriptions a resume's batch leaves behind.
 */
import Redis from 'ioredis';
import { createTopicPubSub, type PubSub } from '../../service/src/pubsub';
import { EventCursor } from '../../service/src/history/cursor';
import { RedisHistory } from '../../service/src/history/redis-stream';
import { createLogger } from '../../service/src/logger';
import { startRedis, takeSubscribersAway, type RedisServer } from '../../testkit/redis';
import { sleep, waitFor } from '../../testkit/wait';

jest.setTimeout(30_000);

type Topics = { t: [id: string, payload: string] };

let redis: RedisServer;
let admin: Redis;
const connections: Redis[] = [];
const pubsubs: PubSub<Topics>[] = [];

beforeAll(async () => {
  redis = await startRedis();
  admin = new Redis(redis.url);
});
afterAll(async () => {
  await Promise.all(pubsubs.map((p) => p.close()));
  for (const c of connections) c.disconnect();
  admin?.disconnect();
  await redis?.stop();
});

async function pubsub(maxQueuedEvents: number): Promise<PubSub<Topics>> {
  const created = createTopicPubSub<Topics>({
    redis: { url: redis.url, tls: false },
    maxQueuedEvents,
    history: { maxEvents: 100, ttlMs: 60_000 },
    logger: createLogger('error', () => undefined),
  });
  pubsubs.push(created);
  await waitFor('pubsub ready', () => created.status().ready);
  return created;
}

/** Appends to topic `t:<id>`'s history and publishes, as another instance's publish does. */
function publisher(id: string): (text: string) => Promise<unknown> {
  const client = new Redis(redis.url);
  connections.push(client);
  const history = new RedisHistory(client, client, { maxEvents: 100, ttlMs: 60_000 });
  return (text) => history.append(`t:${id}`, JSON.stringify(text));
}

test('a catch-up replaying more events than the queue bound delivers them all, then live', async () => {
  const limit = 10;
  const node = await pubsub(limit);
  const publish = publisher('burst');
  const sub = node.subscribe('t', 'burst');
  await waitFor('subscribed', async () => (await admin.pubsub('NUMSUB', 't:burst'))[1] === 1);
  await publish('e0');
  expect((await sub.next()).value).toBe('e0');
  const pending = sub.next(); // the consumer waits, as a live socket's does

  const back = await takeSubscribersAway(admin);
  await waitFor('subscriber away', () => !node.status().ready);
  for (let i = 1; i <= limit + 5; i++) await publish(`e${i}`);
  await back();
  const received: unknown[] = [(await pending).value];
  while (received.length < limit + 5) received.push((await sub.next()).value);
  await publish('live');
  received.push((await sub.next()).value);
  expect(received).toEqual([...Array.from({ length: limit + 5 }, (_, i) => `e${i + 1}`), 'live']);
  expect(node.status().catchUp).toMatchObject({ topicsCaughtUp: 1, eventsReplayed: limit + 5 });
  await sub.return?.();
});

test('a resume ended before its batch is read leaves no channel subscribed', async () => {
  const node = await pubsub(10);
  const position = (await publisher('gone')('x1')) as string;
  // Resumes and is ended at once (the socket closed right after subscribing): the batch is sent after that.
  const sub = node.subscribe('t', 'gone', new EventCursor(position));
  await sub.return?.();
  await sleep(300);
  expect(node.subscriberCount('t', 'gone')).toBe(0);
  expect(await admin.pubsub('NUMSUB', 't:gone')).toEqual(['t:gone', 0]);
});
