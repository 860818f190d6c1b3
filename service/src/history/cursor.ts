/**
 * The per-operation link between a subscription's transport and the pub/sub: where to resume from (the
 * position the client sent), the position of the event being delivered, the outcome of the resume, and
 * notices of live events lost later on (a catch-up that could not recover, see catch-up.ts).
 * The context of each operation carries one (see yoga.ts); resolvers keep calling `ctx.pubsub.subscribe`.
 */
import { parsePosition, type Position } from './position';
import type { Recovery } from './store';

/** Context key of the operation's cursor (a symbol: not part of the app's context type). */
export const CURSOR: unique symbol = Symbol('event cursor');

export class EventCursor {
  /** Position of the last event handed to the operation's execution (the result being built). */
  position: string | undefined;
  /** Set by the first subscribe of a resuming operation; settles once the replay is queued. */
  recovery: Promise<Recovery> | undefined;
  private claimed = false;
  /** A not-recovered outcome the transport has not sent yet (one is enough: the client refetches once). */
  private notice: Recovery | undefined;
  /** One per next() waiting for a notice; removed when that step settles, so none outlives its step. */
  private readonly waiters = new Set<() => void>();

  /** @param resumeFrom what the client sent (unvalidated): subscribe `extensions.resumeFrom`, or Last-Event-ID. */
  constructor(readonly resumeFrom: unknown) {}

  get resuming(): boolean {
    return this.resumeFrom !== undefined;
  }

  /**
   * The position to resume from, for the operation's first subscription only; throws InvalidPositionError
   * (the operation's error) when it is malformed.
   */
  claimResume(): Position | undefined {
    if (this.claimed || this.resumeFrom === undefined) return undefined;
    this.claimed = true;
    return parsePosition(this.resumeFrom);
  }

  /**
   * Live events of this operation were lost: the transport sends `recovery` in-stream, before the events
   * the operation takes after this call. Called by the subscription as it takes the events in order.
   */
  notify(recovery: Recovery): void {
    this.notice ??= recovery;
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }

  /** The pending notice, once. */
  takeNotice(): Recovery | undefined {
    const notice = this.notice;
    this.notice = undefined;
    return notice;
  }

  /**
   * Resolves at the next notify() (at once if a notice is pending). The caller cancels it once it stops
   * waiting: a promise kept across events would collect one reaction (and the result it raced) per event.
   */
  noticed(): { readonly promise: Promise<void>; cancel(): void } {
    if (this.notice !== undefined) return { promise: Promise.resolve(), cancel: () => undefined };
    let wake: () => void = () => undefined;
    const promise = new Promise<void>((resolve) => {
      wake = resolve;
    });
    this.waiters.add(wake);
    return { promise, cancel: () => this.waiters.delete(wake) };
  }

  /** next() calls waiting for a notice now (at most one per operation). */
  get noticeWaiters(): number {
    return this.waiters.size;
  }
}

export function cursorOf(contextValue: unknown): EventCursor | undefined {
  if (typeof contextValue !== 'object' || contextValue === null) return undefined;
  const cursor = (contextValue as { [CURSOR]?: unknown })[CURSOR];
  return cursor instanceof EventCursor ? cursor : undefined;
}
