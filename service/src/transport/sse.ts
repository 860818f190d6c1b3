/**
 * SSE adapter: a Yoga plugin around Yoga's own GraphQL-over-SSE responses (distinct connections mode).
 * It counts the streams against the per-task connection cap, refuses new ones while draining, adds
 * keepalive comments at the configured interval (from the shared keepalive sweep, only between events),
 * and ends streams when draining. A subscription that falls behind (SUBSCRIPTION_OVERFLOW) reaches the
 * client as a last `next` event carrying that error, then `complete` (Yoga turns the error into a result).
 *
 * Two more ends: a stream authenticated with an expiring token ends at its expiry (the client reconnects
 * with a fresh one), and a client that stopped reading (data waiting to be sent, none of it accepted by the
 * peer over a whole keepalive interval) has its connection destroyed, as a WebSocket that stops answering
 * pings is: its slot is freed instead of being held forever.
 */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Plugin } from 'graphql-yoga';
import type { Identity } from '../auth';
import type { Limits } from '../config';
import { PATHS } from '../container-contract';
import type { DefenceCounters } from '../counters';
import { errorFields, type Logger } from '../logger';
import type { ConnectionRegistry, TrackedConnection } from './connections';
import { clientAddress } from './origin';

export interface SseTransportOptions {
  readonly registry: ConnectionRegistry;
  readonly limits: Limits;
  readonly logger: Logger;
  readonly counters: DefenceCounters;
}

/** setTimeout's largest delay (about 24.8 days); a later expiry re-arms the timer. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Distinguishable from Yoga's own `:` pings, so tests can see the configured interval at work. */
const KEEPALIVE = new TextEncoder().encode(': keepalive\n\n');

export function useSseTransport(options: SseTransportOptions): Plugin {
  const { registry, limits, logger, counters } = options;
  let nextId = 1;
  // The identity each subscription's request was authenticated with, found again when its response starts.
  const identities = new WeakMap<Request, Identity>();

  return {
    onSubscribe({ args }) {
      const context = args.contextValue as { request?: Request; identity?: Identity | null };
      if (context.request !== undefined && context.identity != null) identities.set(context.request, context.identity);
    },

    onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== PATHS.graphql || !acceptsEventStream(request)) return;
      const refuse = (reason: string) =>
        endResponse(
          new fetchAPI.Response(JSON.stringify({ errors: [{ message: reason }] }), {
            status: 503,
            headers: { 'content-type': 'application/json; charset=utf-8', 'retry-after': '1' },
          }),
        );
      if (registry.draining) refuse('Draining: reconnect to another instance');
      else if (registry.size >= limits.maxConnections) refuse(`Connection limit reached (${limits.maxConnections})`);
    },

    onResponse({ request, response, serverContext, setResponse, fetchAPI }) {
      const contentType = response.headers.get('content-type') ?? '';
      if (!contentType.startsWith('text/event-stream') || response.body == null) return;
      const res = (serverContext as { res?: ServerResponse }).res;
      const stream = new SseStream(
        response.body.getReader(),
        nextId++,
        clientAddress(request.headers.get('x-forwarded-for'), res?.socket?.remoteAddress),
        { registry, logger, counters },
        res?.socket ?? undefined,
        fetchAPI.ReadableStream as typeof ReadableStream,
      );
      registry.add(stream);
      logger.info('sse.open', { stream: stream.id, address: stream.address, open: registry.size });
      stream.expireAt(identities.get(request));
      // Yoga does not notice a client that went away between events; the socket does.
      res?.once('close', () => stream.end('client closed'));
      setResponse(new fetchAPI.Response(stream.body, { status: response.status, headers: response.headers }));
    },
  };
}

function acceptsEventStream(request: Request): boolean {
  return (request.headers.get('accept') ?? '').includes('text/event-stream');
}

class SseStream implements TrackedConnection {
  readonly kind = 'sse';
  readonly body: ReadableStream<Uint8Array>;
  private readonly openedAt = Date.now();
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  /** The last chunk ended an event: a comment may go in now without splitting one. */
  private atBoundary = true;
  private ended = false;
  private expiryTimer: NodeJS.Timeout | undefined;
  /** At the last keepalive sweep: data was waiting to be sent, and how much had been sent. */
  private waitingAtSweep = false;
  private flushedAtSweep = 0;
  private readonly registry: ConnectionRegistry;
  private readonly logger: Logger;
  private readonly counters: DefenceCounters;

  constructor(
    private readonly source: ReadableStreamDefaultReader<Uint8Array>,
    readonly id: number,
    readonly address: string,
    shared: { registry: ConnectionRegistry; logger: Logger; counters: DefenceCounters },
    /** The response's socket: how much of what was written the peer accepted (unset outside node http). */
    private readonly socket: Socket | undefined,
    ReadableStreamImpl: typeof ReadableStream,
  ) {
    ({ registry: this.registry, logger: this.logger, counters: this.counters } = shared);
    this.body = new ReadableStreamImpl<Uint8Array>({
      start: (controller) => {
        this.controller = controller;
      },
      pull: () => this.pull(),
      cancel: () => this.end('client cancelled'),
    });
  }

  private async pull(): Promise<void> {
    let result: ReadableStreamReadResult<Uint8Array>;
    try {
      result = await this.source.read();
    } catch (err) {
      this.failed(err);
      return;
    }
    if (this.ended) return;
    if (result.done) {
      this.end('complete');
      return;
    }
    const chunk = result.value;
    this.atBoundary = chunk.length >= 2 && chunk[chunk.length - 1] === 10 && chunk[chunk.length - 2] === 10;
    this.controller.enqueue(chunk);
  }

  /** The source stream errored (Yoga turns GraphQL errors into events, so this is unexpected). */
  private failed(err: unknown): void {
    if (this.ended) return;
    this.logger.warn('sse.failed', { stream: this.id, ...errorFields(err) });
    this.end('failed');
  }

  /** Ends the stream when the identity it was authenticated with expires. */
  expireAt(identity: Identity | undefined): void {
    clearTimeout(this.expiryTimer);
    const expiresAt = identity?.expiresAt;
    if (expiresAt === undefined || this.ended) return;
    const delay = Math.max(0, expiresAt - Date.now());
    this.expiryTimer = setTimeout(
      () => {
        if (delay > MAX_TIMER_MS) return this.expireAt(identity);
        this.counters.tokenExpiredSse++;
        this.logger.info('sse.token_expired', { stream: this.id, address: this.address, subject: identity?.subject });
        // Ended without `complete`: the client reconnects, with a fresh token.
        this.end('token expired');
      },
      Math.min(delay, MAX_TIMER_MS),
    );
    this.expiryTimer.unref();
  }

  keepalive(): boolean {
    if (this.ended) return true;
    if (this.stalled()) {
      this.counters.sseWriteTimeouts++;
      this.logger.warn('sse.slow_consumer', {
        stream: this.id,
        address: this.address,
        pendingBytes: this.socket?.writableLength ?? 0,
      });
      this.end('write timeout');
      // The response writer waits for a drain that will never come: only destroying the socket frees it.
      this.socket?.destroy();
      return false;
    }
    if (this.atBoundary && (this.controller.desiredSize ?? 0) > 0) this.controller.enqueue(KEEPALIVE);
    return true;
  }

  /**
   * True when data was waiting to be sent at the previous sweep and still is, and the peer accepted none of
   * it in between: the client stopped reading. `bytesWritten` counts what was queued too, so
   * `bytesWritten - writableLength` is what left the process.
   */
  private stalled(): boolean {
    const socket = this.socket;
    const pending = socket?.writableLength ?? 0;
    const waiting = pending > 0 || (this.controller.desiredSize ?? 1) <= 0;
    const flushed = socket !== undefined ? socket.bytesWritten - pending : 0;
    const stalled = waiting && this.waitingAtSweep && flushed === this.flushedAtSweep;
    this.waitingAtSweep = waiting;
    this.flushedAtSweep = flushed;
    return stalled;
  }

  closeForRestart(): void {
    // Ended without `complete`, so clients reconnect (to another task: this one is out of the target group).
    this.end('drain');
  }

  terminate(): void {
    this.end('terminated');
  }

  end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.expiryTimer);
    this.registry.remove(this);
    this.source.cancel(reason).catch(() => undefined);
    try {
      this.controller.close();
    } catch {
      // Already closed or errored by the consumer.
    }
    this.logger.info('sse.close', {
      stream: this.id,
      address: this.address,
      reason,
      durationMs: Date.now() - this.openedAt,
      open: this.registry.size,
    });
  }
}
