/** testkit/wait.ts: waitFor's retries, and withoutRecordedFailures, which reports what a check recorded. */
import { waitFor, withoutRecordedFailures } from '../../../testkit/wait';

describe('waitFor', () => {
  test('retries a check that throws until it passes, and names the last error on timeout', async () => {
    let calls = 0;
    await expect(
      waitFor(
        'three calls',
        () => {
          calls++;
          if (calls < 3) throw new Error(`not yet (${calls})`);
          return calls;
        },
        1_000,
        1,
      ),
    ).resolves.toBe(3);
    await expect(
      waitFor(
        'never',
        () => {
          throw new Error('still failing');
        },
        20,
        5,
      ),
    ).rejects.toThrow(/Timed out after 20 ms waiting for never \(last: still failing\)/);
  });
});

describe('withoutRecordedFailures', () => {
  test('resolves with the value when nothing was recorded', async () => {
    await expect(withoutRecordedFailures('failed posts', [], Promise.resolve(7))).resolves.toBe(7);
  });

  test('fails when the wait succeeded but a failure was recorded meanwhile', async () => {
    await expect(withoutRecordedFailures('failed posts', [{ status: 503 }], Promise.resolve(7))).rejects.toThrow(
      'failed posts: [{"status":503}]',
    );
  });

  test("keeps the wait's own error, followed by the recorded failures", async () => {
    const timedOut = waitFor('delivery', () => false, 20, 5);
    await expect(withoutRecordedFailures('failed posts', ['one 503'], timedOut)).rejects.toThrow(
      /^Timed out after 20 ms waiting for delivery \(last: false\); and failed posts: \["one 503"\]$/,
    );
    const alone = waitFor('delivery', () => false, 20, 5);
    await expect(withoutRecordedFailures('failed posts', [], alone)).rejects.toThrow(
      /^Timed out after 20 ms waiting for delivery \(last: false\)$/,
    );
  });
});
