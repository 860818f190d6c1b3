/**
 * The positions plugin's wrapper around a long-lived operation's results (history/plugin.ts): waiting for
 * a notice alongside each event must not keep anything of the events already delivered.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ExecutionResult } from 'graphql';
import { CURSOR, EventCursor } from '../../../service/src/history/cursor';
import { useEventPositions } from '../../../service/src/history/plugin';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

interface Hooks {
  onSubscribe(payload: { args: { contextValue: unknown } }): {
    onSubscribeResult(payload: { result: unknown; setResult(result: unknown): void }): void;
  };
}

/** The plugin's wrapped results over `source`, for an operation with `cursor`. */
function wrap(cursor: EventCursor, source: AsyncIterableIterator<ExecutionResult>): AsyncIterator<ExecutionResult> {
  let wrapped: AsyncIterator<ExecutionResult> | undefined;
  (useEventPositions() as unknown as Hooks)
    .onSubscribe({ args: { contextValue: { [CURSOR]: cursor } } })
    .onSubscribeResult({ result: source, setResult: (r) => (wrapped = r as AsyncIterator<ExecutionResult>) });
  if (wrapped === undefined) throw new Error('the plugin did not wrap the results');
  return wrapped;
}

test('events delivered without a notice are not retained, and at most one notice waiter is pending', async () => {
  const cursor = new EventCursor(undefined);
  const delivered: WeakRef<object>[] = [];
  let n = 0;
  const source: AsyncIterableIterator<ExecutionResult> = {
    [Symbol.asyncIterator]: () => source,
    next: async () => {
      const data = { n: n++ };
      delivered.push(new WeakRef(data));
      return { done: false, value: { data } };
    },
    return: async () => ({ done: true, value: undefined }),
  };
  const results = wrap(cursor, source);
  for (let i = 0; i < 200; i++) await results.next();
  expect(cursor.noticeWaiters).toBeLessThanOrEqual(1);
  // WeakRef targets stay alive until the current job ends: collect in a later turn.
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  expect(delivered.filter((ref) => ref.deref() !== undefined).length).toBeLessThanOrEqual(1);

  // A notice still reaches the operation ahead of the next event, and the one after it flows as before.
  cursor.notify({ recovered: false, reason: 'window' });
  expect((await results.next()).value).toEqual({ extensions: { recovery: { recovered: false, reason: 'window' } } });
  expect((await results.next()).value).toEqual({ data: { n: 200 } });
  expect(cursor.noticeWaiters).toBe(0);
});

test('a notice while the source waits is delivered first; the waiting event follows', async () => {
  const cursor = new EventCursor(undefined);
  let release: ((step: IteratorResult<ExecutionResult>) => void) | undefined;
  const source: AsyncIterableIterator<ExecutionResult> = {
    [Symbol.asyncIterator]: () => source,
    next: () => new Promise((resolve) => (release = resolve)),
    return: async () => ({ done: true, value: undefined }),
  };
  const results = wrap(cursor, source);
  const first = results.next();
  await new Promise((resolve) => setImmediate(resolve));
  expect(cursor.noticeWaiters).toBe(1);
  cursor.notify({ recovered: false, reason: 'epoch' });
  expect((await first).value).toEqual({ extensions: { recovery: { recovered: false, reason: 'epoch' } } });
  expect(cursor.noticeWaiters).toBe(0);
  const second = results.next();
  release?.({ done: false, value: { data: { n: 1 } } });
  expect((await second).value).toEqual({ data: { n: 1 } });
});
