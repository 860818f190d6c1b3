/** Polling and timing helpers with a deadline, so a broken expectation fails with a message instead of hanging. */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a truthy value (returned) or `timeoutMs` passes (throws, naming `what`). */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 5_000,
  everyMs = 25,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for ${what} (last: ${last instanceof Error ? last.message : String(last)})`,
      );
    }
    await sleep(everyMs);
  }
}

/** Rejects with a message naming `what` if `promise` does not settle within `timeoutMs`. */
export function withTimeout<T>(what: string, promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${timeoutMs} ms: ${what}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * `wait` (a waitFor whose check records failures in `failures` instead of throwing, which waitFor would retry
 * away), failing when any was recorded: with them listed after the wait's own error when it failed too, or
 * alone when it succeeded.
 */
export async function withoutRecordedFailures<T>(
  what: string,
  failures: readonly unknown[],
  wait: Promise<T>,
): Promise<T> {
  let value: T;
  try {
    value = await wait;
  } catch (error) {
    if (failures.length === 0) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${message}; and ${what}: ${JSON.stringify(failures)}`, { cause: error });
  }
  if (failures.length > 0) throw new Error(`${what}: ${JSON.stringify(failures)}`);
  return value;
}
