/**
 * SSE adapter: a Yoga plugin around Yoga's own GraphQL-over-SSE responses (distinct connections mode).
 * It counts the streams against the per-task connection cap, refuses new ones while draining, adds
 * keepalive comments at the configured interval (from the shared keepalive sweep, only between events),
 * and ends streams when draining. A subscription that falls behind (SUBSCRIPTION_OVERFLOW) reaches the
 * client as a last `next` event carrying that error, then `complete` (Yoga turns the error into a result).
 */
import type { ServerResponse } from 'node:http';
import type { Plugin } from 'graphql-yoga';
import type { Limits } from '../config';
import { PATHS } from '../container-contract';
import { errorFields, type Logger } from '../logger';
import type { ConnectionRegistry, TrackedConnection } from './connections';
import { clientAddress } from './origin';

export interface SseTransportOptions {
  readonly registry: ConnectionRegistry;
  readonly limits: Limits;
  readonly logger: Logger;
}

/** Distinguishable from Yoga's own `:` pings, so tests can see the configured interval at work. */
const KEEPALIVE = new TextEncoder().encode(': keepalive\n\n');

export function useSseTransport(options: SseTransportOptions): Plugin {
  const { registry, limits, logger } = options;
  let nextId = 1;

  return {
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
        registry,
        logger,
        fetchAPI.ReadableStream as typeof ReadableStream,
      );
      registry.add(stream);
      logger.info('sse.open', { stream: stream.id, address: stream.address, open: registry.size });
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

  constructor(
    private readonly source: ReadableStreamDefaultReader<Uint8Array>,
    readonly id: number,
    readonly address: string,
    private readonly registry: ConnectionRegistry,
    private readonly logger: Logger,
    ReadableStreamImpl: typeof ReadableStream,
  ) {
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

  keepalive(): boolean {
    if (!this.ended && this.atBoundary && (this.controller.desiredSize ?? 0) > 0) this.controller.enqueue(KEEPALIVE);
    return true;
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
