/**
 * Positions on the wire, for every transport (the plugin runs for SSE, WebSocket and shared groups alike):
 * - every subscription result carries its event's position in `extensions.position` (nothing in `data`);
 * - a subscription that asked to resume (`extensions.resumeFrom` in its request, or SSE `Last-Event-ID`)
 *   first gets one result with only `extensions.recovery`: `{ recovered: true, replayed }` or
 *   `{ recovered: false, reason }`; missed events (if any) follow, then live ones;
 * - any subscription whose live events were lost after it started (the instance lost Redis pub/sub and
 *   could not catch up from the history, see catch-up.ts) gets, at that point in its stream, one result
 *   with only `extensions.recovery: { recovered: false, reason }`, then live events again;
 * - over SSE each such event also gets an `id:` line, so EventSource sends it back as Last-Event-ID.
 */
import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { cursorOf, type EventCursor } from './cursor';
import type { Recovery } from './store';

export function useEventPositions(): Plugin {
  return {
    onSubscribe({ args }) {
      const cursor = cursorOf(args.contextValue);
      if (cursor === undefined) return undefined;
      return {
        onSubscribeResult({ result, setResult }) {
          if (isAsyncIterable(result)) setResult(new PositionedResults(result, cursor));
        },
      };
    },
    onResultProcess({ request, result, setResult }) {
      // Yoga's SSE processor writes `data: <stringify(result)>`; a per-result stringify appends the id line.
      if (!isAsyncIterable(result) || !(request.headers.get('accept') ?? '').includes('text/event-stream')) return;
      setResult(mapIterator(result[Symbol.asyncIterator](), withSseId));
    },
  };
}

type Positioned = ExecutionResult & { stringify?: (result: ExecutionResult) => string };

function withSseId(result: Positioned): Positioned {
  const position = (result.extensions as { position?: unknown } | undefined)?.position;
  // Positions are [0-9A-Za-z._-]: no newline can end the field early.
  if (typeof position !== 'string') return result;
  return { ...result, stringify: (sanitized) => `${JSON.stringify(sanitized)}\nid: ${position}` };
}

/**
 * The operation's results with their positions, after the recovery result of a resume. An iterator rather
 * than an async generator: `return()` must end the source at once, even while a `next()` is waiting.
 */
class PositionedResults implements AsyncIterableIterator<ExecutionResult> {
  private readonly source: AsyncIterator<ExecutionResult>;
  private recoveryPending: boolean;
  /** A source step asked for but not returned yet: a notice came first. */
  private pending: Promise<IteratorResult<ExecutionResult>> | undefined;

  constructor(
    source: AsyncIterable<ExecutionResult>,
    private readonly cursor: EventCursor,
  ) {
    this.source = source[Symbol.asyncIterator]();
    this.recoveryPending = cursor.resuming;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ExecutionResult> {
    return this;
  }

  async next(): Promise<IteratorResult<ExecutionResult>> {
    if (this.recoveryPending) {
      this.recoveryPending = false;
      const recovery: Recovery = (await this.cursor.recovery) ?? { recovered: false, reason: 'no-history' };
      return { done: false, value: { extensions: { recovery } } };
    }
    // A notice may come while the source waits for its next event (or be taken with it): it goes first.
    const pending = (this.pending ??= this.source.next());
    const noticed = this.cursor.noticed();
    try {
      await Promise.race([pending, noticed.promise]);
    } catch {
      // A failure of the source is thrown below.
    } finally {
      noticed.cancel();
    }
    const notice = this.cursor.takeNotice();
    if (notice !== undefined) return { done: false, value: { extensions: { recovery: notice } } };
    this.pending = undefined;
    const step = await pending;
    if (step.done === true) return step;
    const position = this.cursor.position;
    if (position === undefined) return step;
    return { done: false, value: { ...step.value, extensions: { ...step.value.extensions, position } } };
  }

  return(value?: unknown): Promise<IteratorResult<ExecutionResult>> {
    return this.source.return?.(value) ?? Promise.resolve({ done: true, value: undefined });
  }

  throw(err?: unknown): Promise<IteratorResult<ExecutionResult>> {
    return this.source.throw?.(err) ?? Promise.reject(err);
  }
}

function mapIterator<T, R>(source: AsyncIterator<T>, map: (value: T) => R): AsyncIterableIterator<R> {
  const mapped: AsyncIterableIterator<R> = {
    [Symbol.asyncIterator]: () => mapped,
    next: async () => {
      const step = await source.next();
      return step.done === true ? step : { done: false, value: map(step.value) };
    },
    return: (value?: unknown) =>
      (source.return?.(value) as Promise<IteratorResult<R>> | undefined) ?? Promise.resolve({ done: true, value }),
  };
  return mapped;
}

function isAsyncIterable<T>(value: unknown): value is AsyncIterable<T> {
  return typeof Object(value)[Symbol.asyncIterator] === 'function';
}
