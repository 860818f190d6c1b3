/**
 * The Redis Stream history behind resumable subscriptions, against a real redis-server: two pub/sub
 * instances (publisher and subscriber on different connections, as between two tasks), the seam between
 * history and live under concurrent publishing, the window edge (exact), epochs
 * (a flushed Redis), publish failing while Redis is down, and hostile stream content.
 */
import Redis from 'ioredis';
import { EventCursor } from '../../service/src/history/cursor';
import { parsePosition } from '../../service/src/history/position';
import { metaKey, streamKey } from '../../service/src/history/redis-stream';
import { PubSubUnavailableError } from '../../service/src/pubsub';
import { startRedis, type RedisServer } from '../../testkit/redis';
import { pubSubsOn, ready, resumeWhilePublishing, take } from '../../testkit/resume-seam';
import { waitFor } from '../../testkit/wait';

jest.setTimeout(60_000);

let redis: RedisServer;
let raw: Redis;
const pubsubs = pubSubsOn(() => redis.url);
const open = pubsubs.open;

beforeAll(async () => {
  redis = await startRedis();
  raw = new Redis(redis.url);
});
afterAll(async () => {
  await pubsubs.closeAll();
  raw?.disconnect();
  await redis?.stop();
});

test('every event gets a stream position; the stream has a TTL and an epoch beside it', async () => {
  const ps = open(1_000, 30_000);
  await ready(ps);
  const cursor = new EventCursor(undefined);
  const sub = ps.forOperation(cursor).subscribe('tick', 'ttl');
  await waitFor('subscribed', async () => (await raw.pubsub('NUMSUB', 'tick:ttl'))[1] === 1);
  await ps.publish('tick', 'ttl', 1);
  expect(await take(sub, 1)).toEqual([1]);
  const position = parsePosition(cursor.position);
  expect(await raw.hget(metaKey('tick:ttl'), 'epoch')).toBe(position.epoch);
  const [[id]] = (await raw.xrange(streamKey('tick:ttl'), '-', '+')) as [[string, string[]]];
  expect(position.id).toBe(id);
  const ttl = await raw.pttl(streamKey('tick:ttl'));
  expect(ttl).toBeGreaterThan(20_000);
  expect(ttl).toBeLessThanOrEqual(30_000);
  expect(await raw.pttl(metaKey('tick:ttl'))).toBeGreaterThan(20_000);
  await sub.return?.();
});

test('seam: resuming while another instance publishes nonstop loses and doubles nothing', async () => {
  const publisher = open();
  const subscriber = open();
  await Promise.all([ready(publisher), ready(subscriber)]);
  // One resume at a time, from the latest recorded position, every 40 events.
  await resumeWhilePublishing({
    publisher,
    subscriber,
    topicId: 'seam',
    total: 600,
    yieldEvery: 20,
    waves: 12,
    startAfter: (wave) => wave * 40 + 1,
    resumeFrom: (recorded) => [recorded - 1],
    subscribed: async () => (await raw.pubsub('NUMSUB', 'tick:seam'))[1] === 1,
  });
});

test('window edge: resuming from the last trimmed id recovers; from the one before it does not', async () => {
  // Small macro-nodes so approximate MAXLEN trims with a few events.
  await raw.config('SET', 'stream-node-max-entries', '2');
  const ps = open(4);
  await ready(ps);
  const cursor = new EventCursor(undefined);
  const sub = ps.forOperation(cursor).subscribe('tick', 'edge');
  await waitFor('subscribed', async () => (await raw.pubsub('NUMSUB', 'tick:edge'))[1] === 1);
  const positions: string[] = [];
  for (let n = 0; n < 20; n++) {
    await ps.publish('tick', 'edge', n);
    await take(sub, 1);
    positions.push(cursor.position as string);
  }
  await sub.return?.();
  const [[firstId]] = (await raw.xrange(streamKey('tick:edge'), '-', '+', 'COUNT', 1)) as [[string, string[]]];
  // The last event trimmed away is the one right before the first kept.
  const edge = positions.findIndex((p) => parsePosition(p).id === firstId) - 1;
  expect(edge).toBeGreaterThan(0);

  const atEdge = new EventCursor(positions[edge]);
  const recovered = ps.forOperation(atEdge).subscribe('tick', 'edge');
  expect(await atEdge.recovery).toEqual({ recovered: true, replayed: 19 - edge });
  expect(await take(recovered, 19 - edge)).toEqual(Array.from({ length: 19 - edge }, (_, k) => edge + 1 + k));

  const beforeEdge = new EventCursor(positions[edge - 1]);
  const late = ps.forOperation(beforeEdge).subscribe('tick', 'edge');
  expect(await beforeEdge.recovery).toEqual({ recovered: false, reason: 'window' });
  await ps.publish('tick', 'edge', 20);
  expect(await take(late, 1)).toEqual([20]);
  expect(await take(recovered, 1)).toEqual([20]);
  await Promise.all([recovered.return?.(), late.return?.()]);
  await raw.config('SET', 'stream-node-max-entries', '100');
});

test('a flushed Redis is a new epoch: old positions are not recovered, live delivery goes on', async () => {
  const ps = open();
  await ready(ps);
  const cursor = new EventCursor(undefined);
  const sub = ps.forOperation(cursor).subscribe('tick', 'flush');
  await waitFor('subscribed', async () => (await raw.pubsub('NUMSUB', 'tick:flush'))[1] === 1);
  await ps.publish('tick', 'flush', 1);
  await take(sub, 1);
  const old = cursor.position as string;
  await raw.flushall();
  await ps.publish('tick', 'flush', 2);
  expect(await take(sub, 1)).toEqual([2]);
  expect(parsePosition(cursor.position).epoch).not.toBe(parsePosition(old).epoch);

  const resumed = new EventCursor(old);
  const again = ps.forOperation(resumed).subscribe('tick', 'flush');
  expect(await resumed.recovery).toEqual({ recovered: false, reason: 'epoch' });
  await ps.publish('tick', 'flush', 3);
  expect(await take(again, 1)).toEqual([3]);
  await Promise.all([sub.return?.(), again.return?.()]);
});

test('a history entry that is not JSON (written by someone else) makes the resume unavailable, not a crash', async () => {
  const ps = open();
  await ready(ps);
  await ps.publish('tick', 'junk', 1);
  const epoch = (await raw.hget(metaKey('tick:junk'), 'epoch')) as string;
  await raw.xadd(streamKey('tick:junk'), '0-2', 'p', 'not-json{');
  const resumed = new EventCursor(`1.${epoch}.0-1`);
  const sub = ps.forOperation(resumed).subscribe('tick', 'junk');
  expect(await resumed.recovery).toEqual({ recovered: false, reason: 'unavailable' });
  await sub.return?.();
});

test('Redis down: publish fails with PubSubUnavailableError (nothing reported published); back: history resumes', async () => {
  const ps = open();
  await ready(ps);
  await redis.stop('SIGKILL');
  await waitFor('not ready', () => !ps.status().ready);
  await expect(ps.publish('tick', 'down', 1)).rejects.toBeInstanceOf(PubSubUnavailableError);
  await redis.restart();
  await ready(ps);
  raw.disconnect();
  raw = new Redis(redis.url);
  await ps.publish('tick', 'down', 2);
  const entries = await raw.xrange(streamKey('tick:down'), '-', '+');
  expect(entries.map(([, fields]) => fields[1])).toEqual(['2']);
});

/**
 * Blocks the event loop for `ms`, as a saturated process would, without using the CPU: Atomics.wait sleeps
 * the thread (nothing ever notifies the array).
 */
function busy(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

test('an event loop blocked past the timeout: publish and resume succeed when Redis did answer in time', async () => {
  const ps = open();
  await ready(ps);
  await ps.publish('tick', 'lag', 1);
  const epoch = (await raw.hget(metaKey('tick:lag'), 'epoch')) as string;
  const published = ps.publish('tick', 'lag', 2);
  const resumed = new EventCursor(`1.${epoch}.0-1`);
  const sub = ps.forOperation(resumed).subscribe('tick', 'lag');
  // Give the resume's batch time to be sent, then block: the replies wait in the socket, unread.
  await new Promise((resolve) => setImmediate(resolve));
  busy(2_500);
  await expect(published).resolves.toBeUndefined();
  expect(await resumed.recovery).toEqual({ recovered: true, replayed: expect.any(Number) });
  await sub.return?.();
});

test('Redis not answering (CLIENT PAUSE): publish fails with PubSubUnavailableError after about 2 s', async () => {
  const ps = open();
  await ready(ps);
  await raw.client('PAUSE', '4000', 'ALL');
  const started = Date.now();
  await expect(ps.publish('tick', 'paused', 1)).rejects.toBeInstanceOf(PubSubUnavailableError);
  expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
  expect(Date.now() - started).toBeLessThan(3_500);
  await waitFor('unpaused', async () => (await raw.ping()) === 'PONG', 10_000);
});
