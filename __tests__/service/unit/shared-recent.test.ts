/**
 * A shared group's recent frames (transport/ws/shared/group.ts): a resume whose position the group delivered
 * recently is served from them, only while the frames kept follow each other without a gap. The group's
 * stream is one the test feeds by hand (what the execution would yield); the frames are the real bytes sent.
 */
import type { ExecutionResult } from 'graphql-ws';
import {
  RECENT_FRAMES,
  RECENT_FRAMES_MS,
  RECENT_REPLAY_MAX_BYTES,
  SharedGroup,
  type GroupOwner,
} from '../../../service/src/transport/ws/shared/group';

/** An async iterator of results that the test pushes into. */
function feed() {
  const queue: ExecutionResult[] = [];
  let waiting: ((step: IteratorResult<ExecutionResult>) => void) | undefined;
  const stream: AsyncIterableIterator<ExecutionResult> = {
    [Symbol.asyncIterator]: () => stream,
    next: () =>
      queue.length > 0
        ? Promise.resolve({ value: queue.shift() as ExecutionResult, done: false })
        : new Promise((resolve) => (waiting = resolve)),
    return: () => Promise.resolve({ value: undefined, done: true }),
  };
  const push = async (result: ExecutionResult) => {
    const resolve = waiting;
    waiting = undefined;
    if (resolve) resolve({ value: result, done: false });
    else queue.push(result);
    await new Promise((r) => setImmediate(r));
  };
  return { stream, push };
}

const owner: GroupOwner = {
  counted: () => undefined,
  removed: () => undefined,
  failed: () => undefined,
  remembering: () => undefined,
};
const event = (n: number, epoch = 'E1') => ({ data: { n }, extensions: { position: `1.${epoch}.0-${n}` } });

async function started() {
  const { stream, push } = feed();
  const group = new SharedGroup('k', owner, { context: async () => ({}), subscribe: () => stream });
  group.add({ sendFrame: () => undefined }, 'plain');
  await new Promise((r) => setImmediate(r));
  return { group, push };
}

function collector() {
  const frames: unknown[] = [];
  return { frames, subscriber: { sendFrame: (frame: Buffer) => frames.push(JSON.parse(frame.toString())) } };
}

test('served from the recent frames: the recovery result, the frames after the position, then live', async () => {
  const { group, push } = await started();
  for (const n of [1, 2, 3, 4]) await push(event(n));
  const { frames, subscriber } = collector();
  expect(group.resume(subscriber, 'op', '1.E1.0-2')).toBeDefined();
  await push(event(5));
  expect(frames).toEqual([
    { id: 'op', type: 'next', payload: { extensions: { recovery: { recovered: true, replayed: 2 } } } },
    ...[3, 4, 5].map((n) => ({ id: 'op', type: 'next', payload: event(n) })),
  ]);
});

test('not served (nothing sent) for a position the group does not hold, or from before a gap or new epoch', async () => {
  const { group, push } = await started();
  for (const n of [1, 2, 4]) await push(event(n));
  const { frames, subscriber } = collector();
  expect(group.resume(subscriber, 'op', `1.E1.0-${4 + RECENT_FRAMES + 1}`)).toBeUndefined();
  expect(group.resume(subscriber, 'op', '1.E9.0-3')).toBeUndefined();
  // 3 never reached the group: frames from before it cannot be the whole gap.
  expect(group.resume(subscriber, 'op', '1.E1.0-2')).toBeUndefined();
  expect(group.resume(subscriber, 'op', '1.E1.0-4')).toBeDefined();
  await push(event(1, 'E2'));
  expect(group.resume(collector().subscriber, 'op2', '1.E1.0-4')).toBeUndefined();
  expect(group.resume(collector().subscriber, 'op2', '1.E2.0-1')).toBeDefined();
  expect(frames).toEqual([
    { id: 'op', type: 'next', payload: { extensions: { recovery: { recovered: true, replayed: 0 } } } },
    { id: 'op', type: 'next', payload: event(1, 'E2') },
  ]);
});

test('a position ahead of the group joins at once and skips the frames up to it', async () => {
  const { group, push } = await started();
  for (const n of [1, 2, 3]) await push(event(n));
  const { frames, subscriber } = collector();
  expect(group.resume(subscriber, 'op', '1.E1.0-5')).toBeDefined();
  for (const n of [4, 5, 6, 7]) await push(event(n));
  expect(frames).toEqual([
    { id: 'op', type: 'next', payload: { extensions: { recovery: { recovered: true, replayed: 0 } } } },
    ...[6, 7].map((n) => ({ id: 'op', type: 'next', payload: event(n) })),
  ]);
});

test('a member joined ahead keeps skipping across a result without a position (a notice): no duplicates', async () => {
  const { group, push } = await started();
  for (const n of [1, 2, 3]) await push(event(n));
  const { frames, subscriber } = collector();
  expect(group.resume(subscriber, 'op', '1.E1.0-5')).toBeDefined();
  // The group's own catch-up could not recover: its notice, then the held live events 4..7.
  const notice = { extensions: { recovery: { recovered: false, reason: 'window' } } };
  await push(notice);
  for (const n of [4, 5, 6, 7]) await push(event(n));
  expect(frames).toEqual([
    { id: 'op', type: 'next', payload: { extensions: { recovery: { recovered: true, replayed: 0 } } } },
    { id: 'op', type: 'next', payload: notice },
    ...[6, 7].map((n) => ({ id: 'op', type: 'next', payload: event(n) })),
  ]);
});

test(`at most ${RECENT_FRAMES} frames are kept, and a result without a position clears them`, async () => {
  const { group, push } = await started();
  for (let n = 1; n <= RECENT_FRAMES + 1; n++) await push(event(n));
  expect(group.resume(collector().subscriber, 'a', '1.E1.0-1')).toBeUndefined();
  expect(group.resume(collector().subscriber, 'b', '1.E1.0-2')).toBeDefined();
  await push({ data: { n: 0 } });
  expect(group.resume(collector().subscriber, 'c', `1.E1.0-${RECENT_FRAMES + 1}`)).toBeUndefined();
});

test('frames older than the sweep are forgotten', async () => {
  const { group, push } = await started();
  await push(event(1));
  expect(group.remembering).toBe(true);
  group.forgetBefore(Date.now() + 1);
  expect(group.remembering).toBe(false);
  expect(group.resume(collector().subscriber, 'a', '1.E1.0-1')).toBeUndefined();
});

test('a replay larger than RECENT_REPLAY_MAX_BYTES is not served from the frames (nothing sent)', async () => {
  const { group, push } = await started();
  const big = 'x'.repeat(RECENT_REPLAY_MAX_BYTES / 4);
  for (const n of [1, 2, 3, 4, 5, 6]) await push({ ...event(n), data: { n, big } });
  const { frames, subscriber } = collector();
  expect(group.resume(subscriber, 'op', '1.E1.0-1')).toBeUndefined();
  expect(frames).toEqual([]);
  // The last three fit.
  expect(group.resume(subscriber, 'op', '1.E1.0-3')).toBeDefined();
  expect(frames).toHaveLength(4);
});

test('the frames kept hold no more than one replay can send, the oldest dropped first', async () => {
  const { group, push } = await started();
  const big = (n: number) => ({ data: { n, text: 'x'.repeat(60_000) }, extensions: { position: `1.E1.0-${n}` } });
  for (let n = 1; n <= 20; n++) await push(big(n));
  expect(group.recentBytes).toBeLessThanOrEqual(RECENT_REPLAY_MAX_BYTES + 61_000);
  expect(group.recentBytes).toBeGreaterThan(RECENT_REPLAY_MAX_BYTES - 61_000);
  // The oldest frame kept is still one to resume from: the frames after it fit in one replay.
  expect(group.resume(collector().subscriber, 'a', '1.E1.0-16')).toBeDefined();
  expect(group.resume(collector().subscriber, 'b', '1.E1.0-10')).toBeUndefined();
});

test('a frame older than RECENT_FRAMES_MS is not resumed from, even before the sweep ran', async () => {
  const { group, push } = await started();
  for (const n of [1, 2, 3]) await push(event(n));
  // The clock moved on: Date.now() stubbed, as waiting RECENT_FRAMES_MS in a test is not an option.
  const now = Date.now();
  const clock = jest.spyOn(Date, 'now').mockReturnValue(now + RECENT_FRAMES_MS + 1);
  try {
    expect(group.resume(collector().subscriber, 'a', '1.E1.0-1')).toBeUndefined();
  } finally {
    clock.mockRestore();
  }
  expect(group.recentBytes).toBe(0);
});
