/**
 * One open WebSocket: the socket object graphql-ws's protocol core talks to (`send`, `close`, `onMessage`)
 * and the send path with its slow-consumer guard. Memory per socket is this object plus what `ws` and the
 * protocol core keep; the `ws` event handlers are shared functions (no closures per socket) that find their
 * connection through the socket's `connection` field.
 */
import type { Socket } from 'node:net';
import { CloseCode, type WebSocket as ProtocolSocket } from 'graphql-ws';
import WebSocket, { type RawData } from 'ws';
import type { Identity } from '../../auth';
import { CLOSE_CODES, limitCloseReason, TOKEN_EXPIRED_REASON } from '../../close-codes';
import type { Limits } from '../../config';
import type { DefenceCounters } from '../../counters';
import { errorFields, type Logger } from '../../logger';
import type { ConnectionRegistry, TrackedConnection } from '../connections';
import { OperationGate } from './operations';

const TEXT_FRAME = { binary: false } as const;
/** Most bytes held corked on one socket before they are written anyway. */
const CORK_FLUSH_BYTES = 16 * 1024;
/** setTimeout's largest delay (about 24.8 days); a later expiry re-arms the timer. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The `ws` socket class the server creates (WebSocketServer's `WebSocket` option), with a back-pointer. */
export class TrackedWebSocket extends WebSocket {
  connection: WsConnection | undefined;
}

/** Shared by every connection of one app: one pointer per socket instead of copies. */
export interface WsShared {
  readonly registry: ConnectionRegistry;
  readonly limits: Limits;
  readonly logger: Logger;
  readonly counters: DefenceCounters;
}

export class WsConnection implements ProtocolSocket, TrackedConnection {
  readonly kind = 'ws';
  /** Answered the last keepalive ping (or is new). */
  alive = true;
  private verified: Identity | null = null;
  /** Closes the socket when its token expires (only while an expiring identity is set). */
  private expiryTimer: NodeJS.Timeout | undefined;
  /** Hands frames to graphql-ws's message handler (registered through onMessage). See operations.ts. */
  operations: OperationGate | undefined;
  /** graphql-ws's cleanup for this socket (returned by `opened`). */
  closed: ((code?: number, reason?: string) => Promise<void>) | undefined;
  private closeCode: number | undefined;
  /** Held by write() until the next check phase (or CORK_FLUSH_BYTES). */
  corked = false;

  constructor(
    readonly ws: TrackedWebSocket,
    readonly id: number,
    readonly address: string,
    readonly openedAt: number,
    /** Bearer token from the upgrade request's Authorization header, if any (non-browser clients). */
    readonly headerToken: string | undefined,
    readonly shared: WsShared,
  ) {}

  get protocol(): string {
    return this.ws.protocol;
  }

  /** Set by onConnect after the token was verified; an expiring identity closes the socket at its expiry. */
  get identity(): Identity | null {
    return this.verified;
  }

  set identity(identity: Identity | null) {
    this.verified = identity;
    this.armExpiry(identity?.expiresAt);
  }

  private armExpiry(expiresAt: number | undefined): void {
    clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    if (expiresAt === undefined) return;
    const delay = expiresAt - Date.now();
    if (delay <= 0) {
      this.tokenExpired();
      return;
    }
    this.expiryTimer = setTimeout(
      () => (delay > MAX_TIMER_MS ? this.armExpiry(expiresAt) : this.tokenExpired()),
      Math.min(delay, MAX_TIMER_MS),
    );
    this.expiryTimer.unref();
  }

  /** The token the socket authenticated with is no longer valid: nothing more may reach or leave it. */
  private tokenExpired(): void {
    this.expiryTimer = undefined;
    if (this.ws.readyState !== WebSocket.OPEN && this.ws.readyState !== WebSocket.CONNECTING) return;
    this.shared.counters.tokenExpiredWebSocket++;
    this.shared.logger.info('ws.token_expired', {
      connection: this.id,
      address: this.address,
      subject: this.verified?.subject,
      expiresAt: this.verified?.expiresAt,
    });
    this.close(CloseCode.Forbidden, TOKEN_EXPIRED_REASON);
  }

  /**
   * The send path. Before each frame: if the peer has not read what we already queued (bufferedAmount
   * over the high-water mark), close it as a slow consumer instead of buffering without bound.
   */
  send(data: string): void {
    this.write(data);
  }

  /** The same path for a pre-built text frame (shared subscriptions): no string -> Buffer per socket. */
  sendFrame(frame: Buffer): void {
    this.write(frame);
  }

  /**
   * The socket stays corked until the event loop's next check phase, so the frames written in this turn
   * (a burst of events, shared or per-connection) leave in one write per socket instead of one per frame.
   */
  private write(data: string | Buffer): void {
    if (!this.writable()) return;
    if (!this.corked) corkUntilNextTurn(this);
    this.ws.send(data, TEXT_FRAME);
    // Held frames count in bufferedAmount: flush early so that only a peer that does not read (its kernel
    // buffer full, our queue not draining) ever reaches the slow-consumer mark.
    if (this.ws.bufferedAmount >= Math.min(CORK_FLUSH_BYTES, this.shared.limits.maxBufferedBytes / 4)) this.uncork();
  }

  /** @internal see write */
  uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    socketOf(this.ws)?.uncork();
  }

  private writable(): boolean {
    const ws = this.ws;
    if (ws.readyState !== WebSocket.OPEN) return false;
    if (ws.bufferedAmount > this.shared.limits.maxBufferedBytes) {
      this.closeSlowConsumer(`send buffer over ${this.shared.limits.maxBufferedBytes} bytes`);
      return false;
    }
    return true;
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === WebSocket.CLOSED || this.ws.readyState === WebSocket.CLOSING) return;
    this.closeCode = code;
    this.ws.close(code, limitCloseReason(reason));
  }

  onMessage(handler: (data: string) => Promise<void>): void {
    this.operations = new OperationGate(this, handler);
  }

  closeSlowConsumer(detail: string): void {
    if (this.closeCode === CLOSE_CODES.slowConsumer) return;
    this.shared.logger.warn('ws.slow_consumer', {
      connection: this.id,
      address: this.address,
      detail,
      bufferedBytes: this.ws.bufferedAmount,
    });
    this.close(CLOSE_CODES.slowConsumer, `Slow consumer: ${detail}`);
  }

  /** Hands a frame to the protocol core; a failure there closes only this socket. */
  receive(data: RawData): void {
    const operations = this.operations;
    if (operations === undefined) return;
    // ws hands a Buffer (binaryType 'nodebuffer', fragments already joined); decode it without copying.
    const text = Buffer.isBuffer(data)
      ? data.toString('utf8')
      : Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.from(data).toString('utf8');
    operations.receive(text);
  }

  failed(err: unknown): void {
    this.shared.logger.error('ws.internal_error', { connection: this.id, ...errorFields(err) });
    // The error itself is logged above; its message may hold internals, so the client gets a fixed reason.
    this.close(CloseCode.InternalServerError, 'Internal server error');
  }

  // TrackedConnection

  keepalive(): boolean {
    if (!this.alive) {
      this.ws.terminate();
      return false;
    }
    this.alive = false;
    if (this.ws.readyState === WebSocket.OPEN) this.ws.ping();
    return true;
  }

  closeForRestart(): void {
    this.close(CLOSE_CODES.serviceRestart, 'Service restart: reconnect');
  }

  terminate(): void {
    this.ws.terminate();
  }

  /** The socket is gone: bookkeeping, log, and let the protocol core end the subscriptions. */
  onClosed(code: number, reason: string): void {
    clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    this.shared.registry.remove(this);
    this.shared.logger.info('ws.close', {
      connection: this.id,
      address: this.address,
      code,
      ...(reason !== '' ? { reason } : {}),
      ...(this.closeCode !== undefined ? { closedBy: 'server' } : {}),
      durationMs: Date.now() - this.openedAt,
    });
    this.closed?.(code, reason).catch((err: unknown) =>
      this.shared.logger.error('ws.cleanup_failed', { connection: this.id, ...errorFields(err) }),
    );
    this.operations?.close();
    this.ws.connection = undefined;
  }
}

/** ws keeps its net.Socket private; null once the connection is gone. */
const socketOf = (ws: WebSocket) => (ws as unknown as { _socket: Socket | null })._socket;

let corked: WsConnection[] = [];

function corkUntilNextTurn(connection: WsConnection): void {
  const socket = socketOf(connection.ws);
  if (socket === null) return;
  socket.cork();
  connection.corked = true;
  if (corked.push(connection) === 1) setImmediate(uncorkAll);
}

function uncorkAll(): void {
  const list = corked;
  corked = [];
  for (const connection of list) connection.uncork();
}

// Shared `ws` event handlers: `this` is the socket (created as a TrackedWebSocket by the server).

const connectionOf = (ws: WebSocket) => (ws as TrackedWebSocket).connection;

export function onSocketMessage(this: WebSocket, data: RawData): void {
  connectionOf(this)?.receive(data);
}

export function onSocketPong(this: WebSocket): void {
  const connection = connectionOf(this);
  if (connection !== undefined) connection.alive = true;
}

export function onSocketClose(this: WebSocket, code: number, reason: Buffer): void {
  connectionOf(this)?.onClosed(code, reason.toString('utf8'));
}

/** `ws` reports protocol violations here (oversize frame -> it closes with 1009 itself). */
export function onSocketError(this: WebSocket, err: Error): void {
  const connection = connectionOf(this);
  connection?.shared.logger.warn('ws.error', { connection: connection.id, ...errorFields(err) });
}
