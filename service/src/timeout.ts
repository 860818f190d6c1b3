/**
 * Rejects when `promise` has not settled `ms` after the call. A reply that reached the socket in time but
 * waited for a busy event loop counts as in time (a saturated process must not fail a publish Redis
 * accepted): the timer only schedules the rejection for the check phase, after the poll phase has processed
 * the input already received. Neither timer keeps the process alive.
 */
export function withTimeout<R>(promise: Promise<R>, ms: number): Promise<R> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let check: ReturnType<typeof setImmediate> | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      check = setImmediate(() => reject(new Error(`Command timed out after ${ms} ms`))).unref();
    }, ms).unref();
  });
  return Promise.race([promise, timeout]).finally(() => {
    clearTimeout(timer);
    if (check !== undefined) clearImmediate(check);
  });
}
