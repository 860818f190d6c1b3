/**
 * The operations a socket runs, as the service knows them (not as graphql-ws's core does).
 *
 * The core keeps its own `ctx.subscriptions`, but `subscribe x`, `complete x`, `subscribe x` sent back to
 * back make it lose track of the first `x` (the second re-adds the id while the first is still starting):
 * that operation would run on, outside the per-socket cap and past the socket's close. Every iterator handed
 * to the core is therefore wrapped and kept in its socket's set until it ends; the cap counts the set, and a
 * closing socket returns whatever is still in it.
 */
export class TrackedOperation<T = unknown> implements AsyncIterableIterator<T> {
  private readonly inner: AsyncIterator<T>;

  constructor(
    source: AsyncIterable<T>,
    private readonly live: Set<TrackedOperation>,
    /** Bytes of variables this operation holds, counted in its socket's budget (variables-budget.ts). */
    readonly variablesBytes = 0,
  ) {
    this.inner = source[Symbol.asyncIterator]();
    live.add(this as TrackedOperation);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  next(): Promise<IteratorResult<T>> {
    return this.inner.next().then(
      (result) => {
        if (result.done === true) this.live.delete(this as TrackedOperation);
        return result;
      },
      (err: unknown) => {
        this.live.delete(this as TrackedOperation);
        throw err;
      },
    );
  }

  return(value?: unknown): Promise<IteratorResult<T>> {
    this.live.delete(this as TrackedOperation);
    return this.inner.return !== undefined
      ? this.inner.return(value)
      : Promise.resolve({ done: true, value: value as T });
  }

  throw(err?: unknown): Promise<IteratorResult<T>> {
    this.live.delete(this as TrackedOperation);
    return this.inner.throw !== undefined ? this.inner.throw(err) : Promise.reject(err);
  }
}

/** Ends every operation still running on a socket that is gone. */
export function returnAll(live: Set<TrackedOperation> | undefined): void {
  if (live === undefined) return;
  for (const operation of [...live]) void operation.return().catch(() => undefined);
}
