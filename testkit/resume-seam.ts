/**
 * The seam scenario of the history tests: `publisher` publishes `total` numbered events nonstop while a
 * reference subscriber on `subscriber` records each one's position, and waves of resumes from recorded
 * positions start on `subscriber`. Every resume must be told it recovered, then receive exactly the events
 * after its position, once, in order: none lost or doubled between the history it reads and live delivery.
 */
import { EventCursor } from '../service/src/history/cursor';
import { createLogger } from '../service/src/logger';
import { createTopicPubSub, type PubSub } from '../service/src/pubsub';
import { waitFor } from './wait';

/** One topic family with numbered payloads: `tick:<id>`. */
export type TickTopics = { tick: [id: string, payload: number] };

/**
 * Pub/subs on one Redis, as the service builds them (quiet logger, 10,000 queued events per subscription),
 * with history unless `maxEvents` is 0; `closeAll` closes every one opened.
 */
export function pubSubsOn(redisUrl: () => string) {
  const opened: PubSub<TickTopics>[] = [];
  return {
    open(maxEvents = 1_000, ttlMs = 60_000): PubSub<TickTopics> {
      const ps = createTopicPubSub<TickTopics>({
        redis: { url: redisUrl(), tls: false },
        maxQueuedEvents: 10_000,
        logger: createLogger('error', () => undefined),
        ...(maxEvents > 0 ? { history: { maxEvents, ttlMs } } : {}),
      });
      opened.push(ps);
      return ps;
    },
    closeAll: () => Promise.all(opened.map((ps) => ps.close())),
  };
}

/** Resolves once every Redis connection of the pub/sub is ready. */
export const ready = (ps: PubSub<TickTopics>) => waitFor('pub/sub ready', () => ps.status().ready);

/** The next `n` values of an iterator. */
export async function take<V>(iterator: AsyncIterator<V>, n: number): Promise<V[]> {
  const values: V[] = [];
  for (let i = 0; i < n; i++) values.push((await iterator.next()).value as V);
  return values;
}

export interface SeamScenario {
  readonly publisher: PubSub<TickTopics>;
  readonly subscriber: PubSub<TickTopics>;
  readonly topicId: string;
  readonly total: number;
  /** The publisher yields to the event loop after every this many events. */
  readonly yieldEvery: number;
  readonly waves: number;
  /** Wave `i` starts once more than this many events were recorded. */
  readonly startAfter: (wave: number) => number;
  /** Indexes of the recorded positions wave resumes from, given how many were recorded. */
  readonly resumeFrom: (recorded: number) => number[];
  /** Resolves once the topic's channel is subscribed (a Redis NUMSUB, say); publishing starts after it. */
  readonly subscribed: () => Promise<boolean>;
  /** Runs right before publishing starts (e.g. CONFIG RESETSTAT). */
  readonly beforePublishing?: () => Promise<unknown>;
}

export async function resumeWhilePublishing(s: SeamScenario): Promise<void> {
  const cursor = new EventCursor(undefined);
  const reference = s.subscriber.forOperation(cursor).subscribe('tick', s.topicId);
  await waitFor('subscribed', s.subscribed);
  await s.beforePublishing?.();
  const positions: string[] = [];
  const recording = (async () => {
    for (let n = 0; n < s.total; n++) {
      expect((await reference.next()).value).toBe(n);
      positions.push(cursor.position as string);
    }
  })();
  const publishing = (async () => {
    for (let n = 0; n < s.total; n++) {
      await s.publisher.publish('tick', s.topicId, n);
      if (n % s.yieldEvery === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  })();
  const resumes: Promise<void>[] = [];
  for (let wave = 0; wave < s.waves; wave++) {
    await waitFor('some events recorded', () => positions.length > s.startAfter(wave));
    for (const from of s.resumeFrom(positions.length)) {
      const resumed = new EventCursor(positions[from]);
      const sub = s.subscriber.forOperation(resumed).subscribe('tick', s.topicId);
      resumes.push(
        (async () => {
          expect(await resumed.recovery).toEqual({ recovered: true, replayed: expect.any(Number) });
          const expected = Array.from({ length: s.total - from - 1 }, (_, k) => from + 1 + k);
          expect(await take(sub, expected.length)).toEqual(expected);
          await sub.return?.();
        })(),
      );
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all([publishing, recording, ...resumes]);
  await reference.return?.();
}
