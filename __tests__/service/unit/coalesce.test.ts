/**
 * The single-flight batching of resume reads per topic (history/coalesce.ts), with a batch reader the test
 * settles by hand: which resumes share a read, that a topic never has two reads in flight, and that a failed
 * read fails only its own batch. Against Redis: __tests__/service/history-coalesce.test.ts.
 */
import { ResumeCoalescer } from '../../../service/src/history/coalesce';
import { parsePosition, type Position } from '../../../service/src/history/position';
import type { ReadResult } from '../../../service/src/history/store';

interface Call {
  readonly topic: string;
  readonly afters: readonly Position[];
  settle(error?: Error): void;
}

function coalescer() {
  const calls: Call[] = [];
  const c = new ResumeCoalescer<number>(
    (topic, afters) =>
      new Promise<readonly ReadResult<number>[]>((resolve, reject) =>
        calls.push({
          topic,
          afters,
          // Each member is answered with its own position's seq as the only entry, to tell answers apart.
          settle: (error) =>
            error
              ? reject(error)
              : resolve(
                  afters.map((a) => ({
                    complete: true,
                    entries: [{ position: `1.e.0-${a.seq}`, id: a, payload: Number(a.seq) }],
                  })),
                ),
        }),
      ),
  );
  return { c, calls };
}

const at = (seq: number) => parsePosition(`1.e.0-${seq}`);
const tick = () => new Promise((resolve) => setImmediate(resolve));
const payloads = (r: ReadResult<number>) => (r.complete ? r.entries.map((e) => e.payload) : r.reason);

test('resumes arriving together share one read; each gets its own answer', async () => {
  const { c, calls } = coalescer();
  const results = [1, 5, 3].map((seq) => c.read('t', at(seq)));
  await tick();
  expect(calls).toHaveLength(1);
  expect(calls[0]!.afters.map((a) => a.id)).toEqual(['0-1', '0-5', '0-3']);
  calls[0]!.settle();
  expect((await Promise.all(results)).map(payloads)).toEqual([[1], [5], [3]]);
  await tick();
  expect(c.pendingTopics).toBe(0);
});

test('one read in flight per topic: later resumes wait and form the next batch together', async () => {
  const { c, calls } = coalescer();
  const first = c.read('t', at(1));
  await tick();
  const later = [c.read('t', at(2)), c.read('t', at(3))];
  await tick();
  const other = c.read('u', at(9));
  await tick();
  // Topic t: still one read; topic u is independent.
  expect(calls.map((call) => call.topic)).toEqual(['t', 'u']);
  calls[0]!.settle();
  expect(payloads(await first)).toEqual([1]);
  await tick();
  expect(calls).toHaveLength(3);
  expect(calls[2]!.afters.map((a) => a.id)).toEqual(['0-2', '0-3']);
  calls[2]!.settle();
  calls[1]!.settle();
  expect((await Promise.all([...later, other])).map(payloads)).toEqual([[2], [3], [9]]);
});

test('a failed read rejects its own batch only; the next batch is still read', async () => {
  const { c, calls } = coalescer();
  const failing = c.read('t', at(1));
  await tick();
  const next = c.read('t', at(2));
  calls[0]!.settle(new Error('timed out'));
  await expect(failing).rejects.toThrow('timed out');
  await tick();
  expect(calls).toHaveLength(2);
  calls[1]!.settle();
  expect(payloads(await next)).toEqual([2]);
});
