/**
 * The in-memory history ring, positions (format, malformed input), and resumable subscriptions of the
 * in-memory pub/sub: replay then live with nothing lost or doubled at the seam, epochs, the window edge.
 */
import { type ConfigError, loadConfig } from '../../../service/src/config';
import { ENV } from '../../../service/src/container-contract';
import { EventCursor } from '../../../service/src/history/cursor';
import {
  formatPosition,
  INVALID_POSITION,
  InvalidPositionError,
  parsePosition,
} from '../../../service/src/history/position';
import { MemoryHistory } from '../../../service/src/history/store';
import { createLogger } from '../../../service/src/logger';
import { createTopicPubSub } from '../../../service/src/pubsub';

type Topics = { tick: [id: string, payload: number] };
const quiet = createLogger('error', () => undefined);
const pubsub = (maxEvents = 5, ttlMs = 60_000) =>
  createTopicPubSub<Topics>({ maxQueuedEvents: 100, logger: quiet, history: { maxEvents, ttlMs } });

async function take<V>(iterator: AsyncIterator<V>, n: number): Promise<V[]> {
  const values: V[] = [];
  for (let i = 0; i < n; i++) values.push((await iterator.next()).value as V);
  return values;
}

describe('positions', () => {
  test('round-trip the documented format 1.<epoch>.<ms>-<seq>', () => {
    const text = formatPosition('AbC_-9', '1700000000000-3');
    expect(text).toBe('1.AbC_-9.1700000000000-3');
    expect(parsePosition(text)).toEqual({ epoch: 'AbC_-9', id: '1700000000000-3', ms: 1700000000000n, seq: 3n });
  });

  test.each([
    [42, 'expected a string, got number'],
    [null, 'expected a string, got null'],
    [['1.a.0-1'], 'expected a string, got an array'],
    ['', 'does not match'],
    ['2.abc.0-1', 'does not match'],
    ['1.abc.0', 'does not match'],
    ['1.a b.0-1', 'does not match'],
    ['1.abc.0-1 ', 'does not match'],
    ['1.' + 'e'.repeat(33) + '.0-1', 'does not match'],
    ['1.abc.' + '9'.repeat(17) + '-1', 'does not match'],
    ['x'.repeat(101), 'longer than 100 characters'],
  ])('%j is rejected with INVALID_POSITION naming the problem', (input, detail) => {
    let error: unknown;
    try {
      parsePosition(input);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidPositionError);
    expect((error as InvalidPositionError).extensions.code).toBe(INVALID_POSITION);
    expect((error as Error).message).toContain(detail);
  });
});

describe('memory ring', () => {
  test('positions grow per topic; reading after one returns exactly the later events', () => {
    const ring = new MemoryHistory<string>({ maxEvents: 10, ttlMs: 1_000 });
    const a = ['a1', 'a2', 'a3'].map((p) => ring.append('a', p));
    ring.append('b', 'b1');
    const after = ring.readAfter('a', parsePosition(a[0]?.position));
    expect(after).toEqual({ complete: true, entries: [a[1], a[2]] });
    expect(ring.readAfter('a', parsePosition(a[2]?.position))).toEqual({ complete: true, entries: [] });
  });

  test('window edge: the last dropped position still recovers, the one before it does not', () => {
    const ring = new MemoryHistory<number>({ maxEvents: 3, ttlMs: 1_000 });
    const entries = [1, 2, 3, 4, 5].map((n) => ring.append('t', n));
    // 1 and 2 were dropped: after 2 everything (3, 4, 5) is still there; after 1, event 2 is gone.
    const fromTwo = ring.readAfter('t', parsePosition(entries[1]?.position));
    expect(fromTwo.complete && fromTwo.entries.map((e) => e.payload)).toEqual([3, 4, 5]);
    expect(ring.readAfter('t', parsePosition(entries[0]?.position))).toEqual({ complete: false, reason: 'window' });
  });

  test('a topic idle past its TTL loses its history: new epoch, old positions say so', () => {
    let now = 0;
    const ring = new MemoryHistory<number>({ maxEvents: 3, ttlMs: 1_000 }, () => now);
    const first = ring.append('t', 1);
    now = 999;
    expect(ring.readAfter('t', parsePosition(first.position)).complete).toBe(true);
    now = 1_999;
    ring.append('other', 0); // any append evicts expired topics
    expect(ring.topics).toBe(1);
    expect(ring.readAfter('t', parsePosition(first.position))).toEqual({ complete: false, reason: 'epoch' });
    const second = ring.append('t', 2);
    expect(parsePosition(second.position).epoch).not.toBe(parsePosition(first.position).epoch);
  });

  test('a position from another topic (another epoch) gives no access to this one', () => {
    const ring = new MemoryHistory<string>({ maxEvents: 3, ttlMs: 1_000 });
    const secret = ring.append('private', 's1');
    ring.append('public', 'p1');
    expect(ring.readAfter('public', parsePosition(secret.position))).toEqual({ complete: false, reason: 'epoch' });
  });
});

describe('resumable subscriptions (memory pub/sub)', () => {
  test('each event carries its position on the cursor as it is taken', async () => {
    const ps = pubsub();
    const cursor = new EventCursor(undefined);
    const sub = ps.forOperation(cursor).subscribe('tick', 'r');
    await ps.publish('tick', 'r', 1);
    await ps.publish('tick', 'r', 2);
    expect((await sub.next()).value).toBe(1);
    const first = cursor.position;
    expect((await sub.next()).value).toBe(2);
    expect(parsePosition(cursor.position).seq).toBe(parsePosition(first).seq + 1n);
    await sub.return?.();
  });

  test('resume: the missed events, then live, exactly once and in order; outcome recovered', async () => {
    const ps = pubsub(10);
    const cursor = new EventCursor(undefined);
    const first = ps.forOperation(cursor).subscribe('tick', 'r');
    await ps.publish('tick', 'r', 1);
    await take(first, 1);
    await first.return?.();
    const lastSeen = cursor.position as string;
    for (const n of [2, 3, 4]) await ps.publish('tick', 'r', n);

    const resumed = new EventCursor(lastSeen);
    const sub = ps.forOperation(resumed).subscribe('tick', 'r');
    // Published after the live listener is registered but before the history is read: it is both in the
    // replay and held live, and must come once.
    await ps.publish('tick', 'r', 5);
    expect(await resumed.recovery).toEqual({ recovered: true, replayed: 4 });
    await ps.publish('tick', 'r', 6);
    expect(await take(sub, 5)).toEqual([2, 3, 4, 5, 6]);
    await sub.return?.();
  });

  test('resume from a position older than the window: not recovered (window), live continues', async () => {
    const ps = pubsub(2);
    const cursor = new EventCursor(undefined);
    const sub = ps.forOperation(cursor).subscribe('tick', 'r');
    await ps.publish('tick', 'r', 1);
    await take(sub, 1);
    const old = cursor.position;
    for (const n of [2, 3, 4]) await ps.publish('tick', 'r', n);
    const resumed = new EventCursor(old);
    const late = ps.forOperation(resumed).subscribe('tick', 'r');
    expect(await resumed.recovery).toEqual({ recovered: false, reason: 'window' });
    await ps.publish('tick', 'r', 5);
    expect(await take(late, 1)).toEqual([5]);
    await Promise.all([sub.return?.(), late.return?.()]);
  });

  test('resume with a position of another epoch: not recovered (epoch), live continues', async () => {
    const ps = pubsub();
    await ps.publish('tick', 'r', 1);
    const resumed = new EventCursor('1.someOtherEpoch.0-1');
    const sub = ps.forOperation(resumed).subscribe('tick', 'r');
    expect(await resumed.recovery).toEqual({ recovered: false, reason: 'epoch' });
    await ps.publish('tick', 'r', 2);
    expect(await take(sub, 1)).toEqual([2]);
    await sub.return?.();
  });

  test('a malformed position fails the subscribe with INVALID_POSITION and registers nothing', () => {
    const ps = pubsub();
    const cursor = new EventCursor('not-a-position');
    expect(() => ps.forOperation(cursor).subscribe('tick', 'r')).toThrow(InvalidPositionError);
    expect(ps.subscriberCount('tick', 'r')).toBe(0);
  });

  test('history off: no positions; a resume is answered not recovered (no-history)', async () => {
    const ps = pubsub(0);
    const cursor = new EventCursor('1.abc.0-1');
    const sub = ps.forOperation(cursor).subscribe('tick', 'r');
    expect(await cursor.recovery).toEqual({ recovered: false, reason: 'no-history' });
    await ps.publish('tick', 'r', 1);
    expect(await take(sub, 1)).toEqual([1]);
    expect(cursor.position).toBeUndefined();
    await sub.return?.();
  });
});

describe('configuration', () => {
  test('defaults: 1000 events per topic, 5 minutes; 0 turns history off', () => {
    expect(loadConfig({}).history).toEqual({ maxEvents: 1_000, ttlMs: 300_000 });
    expect(loadConfig({ [ENV.historyMaxEvents]: '0', [ENV.historyTtlMs]: '1000' }).history).toEqual({
      maxEvents: 0,
      ttlMs: 1_000,
    });
  });

  test('out-of-range values name the variable, the value and the range', () => {
    let problems: readonly string[] = [];
    try {
      loadConfig({ [ENV.historyMaxEvents]: '-1', [ENV.historyTtlMs]: '999' });
    } catch (err) {
      problems = (err as ConfigError).problems;
    }
    expect(problems).toEqual([
      "HISTORY_MAX_EVENTS='-1' must be an integer in 0..100000",
      "HISTORY_TTL_MS='999' must be an integer in 1000..86400000 (ms)",
    ]);
  });
});
