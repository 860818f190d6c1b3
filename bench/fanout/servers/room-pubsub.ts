/**
 * The minimal in-process pub/sub a bare graphql-ws server is usually written with (the shape of
 * graphql-subscriptions' PubSub): one listener per subscriber, each wrapped in an async iterator.
 */
export class RoomPubSub<T> {
  private readonly rooms = new Map<string, Set<(value: T) => void>>();

  publish(room: string, value: T): void {
    for (const push of this.rooms.get(room) ?? []) push(value);
  }

  subscribe(room: string): AsyncIterableIterator<T> {
    const queue: T[] = [];
    const waiting: Array<(result: IteratorResult<T>) => void> = [];
    let done = false;
    const push = (value: T) => {
      const resolve = waiting.shift();
      if (resolve) resolve({ value, done: false });
      else queue.push(value);
    };
    let listeners = this.rooms.get(room);
    if (!listeners) this.rooms.set(room, (listeners = new Set()));
    listeners.add(push);
    const finish = (): Promise<IteratorResult<T>> => {
      if (!done) {
        done = true;
        listeners.delete(push);
        for (const resolve of waiting.splice(0)) resolve({ value: undefined, done: true });
        queue.length = 0;
      }
      return Promise.resolve({ value: undefined, done: true });
    };
    const iterator: AsyncIterableIterator<T> = {
      next: () => {
        if (queue.length > 0) return Promise.resolve({ value: queue.shift() as T, done: false });
        if (done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => waiting.push(resolve));
      },
      return: finish,
      throw: (error: unknown) => finish().then(() => Promise.reject(error)),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }
}
