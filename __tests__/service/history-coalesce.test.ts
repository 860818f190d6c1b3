/**
 * Resumes of one topic arriving together (a reconnect storm) against a real redis-server: they are read in
 * batches (one SUBSCRIBE and one history read per batch, counted with INFO commandstats), on their own
 * connection (`graphql-history`, seen with MONITOR), and every member of a batch still gets exactly its own
 * gap: members at different positions, one before the window, one from another epoch, and events published
 * while the batch is being read, none lost or doubled.
 */
import Redis from 'ioredis';
import { EventCursor } from '../../service/src/history/cursor';
import { parsePosition } from '../../service/src/history/position';
import { streamKey } from '../../service/src/history/redis-stream';
import { type PubSub } from '../../service/src/pubsub';
import { startRedis, type RedisServer } from '../../testkit/redis';
import { pubSubsOn, ready, resumeWhilePublishing, take, type TickTopics } from '../../testkit/resume-seam';
import { waitFor } from '../../testkit/wait';

jest.setTimeout(60_000);

type Topics = TickTopics;

let redis: RedisServer;
let raw: Redis;
const pubsubs = pubSubsOn(() => redis.url);
const open = pubsubs.open;

/** Calls of a command since the last CONFIG RESETSTAT (commands run by scripts are counted too). */
async function calls(command: string): Promise<number> {
  const info = await raw.info('commandstats');
  const match = new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info);
  return match ? Number(match[1]) : 0;
}

/** Publishes `count` events and returns their positions, read by a plain subscriber. */
async function publishRecorded(ps: PubSub<Topics>, topicId: string, from: number, count: number): Promise<string[]> {
  const cursor = new EventCursor(undefined);
  const sub = ps.forOperation(cursor).subscribe('tick', topicId);
  await waitFor('subscribed', async () => Number((await raw.pubsub('NUMSUB', `tick:${topicId}`))[1]) >= 1);
  const positions: string[] = [];
  for (let n = from; n < from + count; n++) {
    await ps.publish('tick', topicId, n);
    expect(await take(sub, 1)).toEqual([n]);
    positions.push(cursor.position as string);
  }
  await sub.return?.();
  return positions;
}

beforeAll(async () => {
  redis = await startRedis();
  raw = new Redis(redis.url);
});
afterAll(async () => {
  await pubsubs.closeAll();
  raw?.disconnect();
  await redis?.stop();
});

test('200 concurrent resumes of one topic cost a bounded number of SUBSCRIBEs and history reads', async () => {
  const ps = open();
  await ready(ps);
  const positions = await publishRecorded(ps, 'burst', 0, 50);
  await raw.config('RESETSTAT');
  const resumes = Array.from({ length: 200 }, (_, i) => {
    const from = i % 50;
    const cursor = new EventCursor(positions[from]);
    return { from, cursor, sub: ps.forOperation(cursor).subscribe('tick', 'burst') };
  });
  const recoveries = await Promise.all(resumes.map((r) => r.cursor.recovery));
  expect(recoveries).toEqual(resumes.map((r) => ({ recovered: true, replayed: 49 - r.from })));
  for (const r of resumes) {
    expect(await take(r.sub, 49 - r.from)).toEqual(Array.from({ length: 49 - r.from }, (_, k) => r.from + 1 + k));
  }
  // Nothing else runs scripts here: every EVALSHA/EVAL is a history read.
  const reads = (await calls('evalsha')) + (await calls('eval'));
  expect(reads).toBeGreaterThanOrEqual(1);
  expect(reads).toBeLessThanOrEqual(3);
  expect(await calls('subscribe')).toBeLessThanOrEqual(4);
  await Promise.all(resumes.map((r) => r.sub.return?.()));
});

test('history reads use their own connection (graphql-history); appends stay on graphql-publisher', async () => {
  const ps = open();
  await ready(ps);
  const positions = await publishRecorded(ps, 'conn', 0, 3);
  const names = new Map<string, string>();
  for (const line of ((await raw.client('LIST')) as string).split('\n')) {
    const addr = / addr=(\S+)/.exec(` ${line}`)?.[1];
    const name = / name=(\S*)/.exec(` ${line}`)?.[1];
    if (addr !== undefined && name !== undefined) names.set(addr, name);
  }
  const monitor = await raw.monitor();
  const scripts: { source: string; args: string[] }[] = [];
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (/^eval/i.test(args[0] ?? '')) scripts.push({ source, args });
  });
  try {
    const cursor = new EventCursor(positions[0]);
    const sub = ps.forOperation(cursor).subscribe('tick', 'conn');
    expect(await cursor.recovery).toEqual({ recovered: true, replayed: 2 });
    await ps.publish('tick', 'conn', 3);
    expect(await take(sub, 3)).toEqual([1, 2, 3]);
    await sub.return?.();
    await waitFor('both scripts seen', () => scripts.length >= 2);
  } finally {
    monitor.disconnect();
  }
  const bySource = scripts.map((s) => names.get(s.source));
  // The first script is the read, the second the append of 3.
  expect(bySource).toEqual(['graphql-history', 'graphql-publisher']);
});

test('one batch, different positions: in the window, before the window, another epoch, each its own gap', async () => {
  // Small macro-nodes so approximate MAXLEN trims exactly enough to test the window edge.
  await raw.config('SET', 'stream-node-max-entries', '2');
  try {
    const ps = open(6);
    await ready(ps);
    const positions = await publishRecorded(ps, 'mixed', 0, 20);
    const [[firstId]] = (await raw.xrange(streamKey('tick:mixed'), '-', '+', 'COUNT', 1)) as [[string, string[]]];
    // The last event trimmed away is the one right before the first kept.
    const edge = positions.findIndex((p) => parsePosition(p).id === firstId) - 1;
    expect(edge).toBeGreaterThan(1);
    const members = [
      { from: positions[edge] as string, expect: { recovered: true, replayed: 19 - edge } },
      { from: positions[17] as string, expect: { recovered: true, replayed: 2 } },
      { from: positions[19] as string, expect: { recovered: true, replayed: 0 } },
      { from: positions[edge - 1] as string, expect: { recovered: false, reason: 'window' } },
      { from: '1.anotherEpoch.0-1', expect: { recovered: false, reason: 'epoch' } },
    ];
    await raw.config('RESETSTAT');
    const subs = members.map((m) => {
      const cursor = new EventCursor(m.from);
      return { m, cursor, sub: ps.forOperation(cursor).subscribe('tick', 'mixed') };
    });
    expect(await Promise.all(subs.map((s) => s.cursor.recovery))).toEqual(members.map((m) => m.expect));
    expect((await calls('evalsha')) + (await calls('eval'))).toBe(1);
    await ps.publish('tick', 'mixed', 20);
    const expected = [Array.from({ length: 20 - edge }, (_, k) => edge + 1 + k), [18, 19, 20], [20], [20], [20]];
    for (const [i, s] of subs.entries()) expect(await take(s.sub, expected[i]!.length)).toEqual(expected[i]);
    await Promise.all(subs.map((s) => s.sub.return?.()));
  } finally {
    await raw.config('SET', 'stream-node-max-entries', '100');
  }
});

test('storm seam: batches of resumes while another instance publishes nonstop lose and double nothing', async () => {
  const publisher = open();
  const subscriber = open();
  await Promise.all([ready(publisher), ready(subscriber)]);
  const total = 800;
  // Waves of 25 resumes from spread positions, each wave started in one tick, the next while reads are in flight.
  await resumeWhilePublishing({
    publisher,
    subscriber,
    topicId: 'storm',
    total,
    yieldEvery: 10,
    waves: 8,
    startAfter: (wave) => wave * 60 + 30,
    resumeFrom: (recorded) => Array.from({ length: 25 }, (_, i) => Math.max(0, recorded - 1 - i * 3)),
    subscribed: async () => (await raw.pubsub('NUMSUB', 'tick:storm'))[1] === 1,
    beforePublishing: () => raw.config('RESETSTAT'),
  });
  // Scripts: one append per event, and the reads, at most one per wave and one waiting behind it.
  const reads = (await calls('evalsha')) + (await calls('eval')) - total;
  expect(reads).toBeGreaterThanOrEqual(1);
  expect(reads).toBeLessThanOrEqual(16);
});

/** Names of the Redis client connections, from CLIENT LIST. */
async function clientNames(): Promise<string[]> {
  const list = (await raw.client('LIST')) as string;
  return list.split('\n').flatMap((line) => /\bname=(\S+)/.exec(line)?.[1] ?? []);
}

test('the history connection counts for readiness; without history it is not opened', async () => {
  const before = (await clientNames()).filter((n) => n === 'graphql-history').length;
  const withoutHistory = open(0);
  await ready(withoutHistory);
  expect((await clientNames()).filter((n) => n === 'graphql-history')).toHaveLength(before);

  const ps = open();
  await ready(ps);
  await waitFor(
    'history connection',
    async () => (await clientNames()).filter((n) => n === 'graphql-history').length > before,
  );
  // Keep every new connection out (those open stay), then drop the history connections only: the publish
  // and subscribe connections stay up, so readiness can only fall for the history connection.
  await raw.config('SET', 'requirepass', 'history-away');
  try {
    const list = (await raw.client('LIST')) as string;
    const ids = list
      .split('\n')
      .flatMap((line) => (/\bname=graphql-history\b/.test(line) ? [/\bid=(\d+)/.exec(line)?.[1] ?? ''] : []));
    for (const id of ids) await raw.client('KILL', 'ID', id);
    await waitFor('not ready without its history connection', () => !ps.status().ready);
    expect([ps.status().ready, withoutHistory.status().ready]).toEqual([false, true]);
  } finally {
    await raw.config('SET', 'requirepass', '');
  }
  await ready(ps);
});
