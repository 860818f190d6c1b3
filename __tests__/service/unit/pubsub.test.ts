/**
 * The pub/sub's subscriptions in memory: ordered per topic id, bounded queue (overflow ends the
 * subscription with SUBSCRIPTION_OVERFLOW instead of growing or throwing inside the publisher), cleanup.
 */
import { getEventListeners } from 'node:events';

import { createLogger } from '../../../service/src/logger';
import { createTopicPubSub, SUBSCRIPTION_OVERFLOW, SubscriptionOverflowError } from '../../../service/src/pubsub';

type Topics = { tick: [id: string, payload: number] };
const pubsub = (maxQueuedEvents = 5) =>
  createTopicPubSub<Topics>({ maxQueuedEvents, logger: createLogger('error', () => undefined) });

test('events arrive in order, only for the subscribed id', async () => {
  const ps = pubsub();
  const a = ps.subscribe('tick', 'a');
  for (const n of [1, 2, 3]) await ps.publish('tick', 'a', n);
  await ps.publish('tick', 'b', 99);
  const values = [(await a.next()).value, (await a.next()).value, (await a.next()).value];
  expect(values).toEqual([1, 2, 3]);
  const pending = a.next();
  await ps.publish('tick', 'a', 4);
  expect(await pending).toEqual({ value: 4, done: false });
  await a.return?.();
});

test('a burst beyond the bound ends the subscription with SUBSCRIPTION_OVERFLOW; the publisher never throws', async () => {
  const ps = pubsub(5);
  const slow = ps.subscribe('tick', 'x');
  const fast = ps.subscribe('tick', 'x');
  const seen: number[] = [];
  const reading = (async () => {
    for await (const value of fast) {
      seen.push(value);
      if (seen.length === 5_000) break;
    }
  })();
  // 5000 events in one go: Yoga's Repeater-based createPubSub throws past 1024 unread pushes.
  for (let i = 0; i < 5_000; i++) await ps.publish('tick', 'x', i);
  await reading;
  expect(seen).toHaveLength(5_000);
  const error = await slow.next().then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(SubscriptionOverflowError);
  expect((error as SubscriptionOverflowError).extensions.code).toBe(SUBSCRIPTION_OVERFLOW);
  expect(await slow.next()).toEqual({ value: undefined, done: true });
});

test('up to the bound nothing is lost', async () => {
  const ps = pubsub(5);
  const s = ps.subscribe('tick', 'y');
  for (let i = 0; i < 5; i++) await ps.publish('tick', 'y', i);
  const values: number[] = [];
  for (let i = 0; i < 5; i++) values.push((await s.next()).value as number);
  expect(values).toEqual([0, 1, 2, 3, 4]);
  await s.return?.();
});

test('return() unsubscribes: its listener is detached and a waiting next() ends', async () => {
  // The in-memory backend is an EventTarget: the spy gives the instance, node:events lists its listeners.
  const attach = jest.spyOn(EventTarget.prototype, 'addEventListener');
  try {
    const ps = pubsub(1);
    const s = ps.subscribe('tick', 'z');
    const waiting = s.next();
    const target = attach.mock.contexts.at(-1) as EventTarget;
    expect(getEventListeners(target, 'tick:z')).toHaveLength(1);
    await s.return?.();
    expect(await waiting).toEqual({ value: undefined, done: true });
    expect(getEventListeners(target, 'tick:z')).toHaveLength(0);
    expect(ps.subscriberCount('tick', 'z')).toBe(0);
    for (let i = 0; i < 10; i++) await ps.publish('tick', 'z', i);
    expect(await s.next()).toEqual({ value: undefined, done: true });
  } finally {
    attach.mockRestore();
  }
});
