/**
 * The WebSocket adapter: handles the HTTP server's `upgrade` event itself so it can refuse before the
 * handshake (origin -> 403, draining or full -> 503), then hands accepted sockets to the protocol core.
 * The subprotocol is checked by the core: a client that did not offer `graphql-transport-ws` is accepted
 * without one and closed with 4406.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { handleProtocols, type Server as ProtocolServer } from 'graphql-ws';
import { WebSocketServer } from 'ws';
import { bearerToken } from '../../auth';
import type { Limits } from '../../config';
import type { DefenceCounters } from '../../counters';
import { PATHS } from '../../container-contract';
import type { Logger } from '../../logger';
import type { ConnectionRegistry } from '../connections';
import { clientAddress, isOriginAllowed } from '../origin';
import {
  onSocketClose,
  onSocketError,
  onSocketMessage,
  onSocketPong,
  TrackedWebSocket,
  WsConnection,
  type WsShared,
} from './connection';

export interface WebSocketAdapterOptions {
  readonly registry: ConnectionRegistry;
  readonly protocol: ProtocolServer<WsConnection>;
  readonly limits: Limits;
  /** Origins allowed to open sockets (see origin.ts); read on every upgrade, so it may grow after start. */
  readonly trustedOrigins: readonly string[];
  readonly logger: Logger;
  readonly counters: DefenceCounters;
}

export interface WebSocketAdapter {
  /** Listener for the http server's `upgrade` event. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

export function createWebSocketAdapter(options: WebSocketAdapterOptions): WebSocketAdapter {
  const { registry, protocol, limits, trustedOrigins, logger, counters } = options;
  const shared: WsShared = { registry, limits, logger, counters };
  const wss = new WebSocketServer({
    noServer: true,
    WebSocket: TrackedWebSocket,
    maxPayload: limits.maxPayloadBytes,
    // Our registry tracks sockets; ws's own Set would be a second copy.
    clientTracking: false,
    perMessageDeflate: false,
    // A client offering only other subprotocols (e.g. the legacy `graphql-ws`) is answered with its first
    // one, so the handshake completes and the core can tell it why with 4406; answering with none would
    // make the client abort the handshake (RFC 6455 4.1) and see only 1006.
    handleProtocols: (protocols) => handleProtocols(protocols) || (protocols.values().next().value ?? false),
  });
  let nextId = 1;

  const open = (ws: TrackedWebSocket, req: IncomingMessage) => {
    const connection = new WsConnection(
      ws,
      nextId++,
      clientAddress(req.headers['x-forwarded-for'], req.socket.remoteAddress),
      Date.now(),
      bearerToken(req.headers.authorization),
      shared,
    );
    ws.connection = connection;
    registry.add(connection);
    ws.on('message', onSocketMessage);
    ws.on('pong', onSocketPong);
    ws.on('close', onSocketClose);
    ws.on('error', onSocketError);
    logger.info('ws.open', {
      connection: connection.id,
      address: connection.address,
      protocol: ws.protocol,
      open: registry.size,
    });
    connection.closed = protocol.opened(connection, connection);
  };

  return {
    handleUpgrade(req, socket, head) {
      // Errors on a socket we are about to reject must not become uncaught exceptions.
      socket.on('error', ignore);
      const address = clientAddress(req.headers['x-forwarded-for'], req.socket.remoteAddress);
      const refuse = (status: number, reason: string) => {
        logger.info('ws.upgrade_refused', { status, reason, address, origin: req.headers.origin });
        rejectUpgrade(socket, status, reason);
      };

      if (pathOf(req.url) !== PATHS.graphql) return refuse(404, 'Not found');
      if (registry.draining) return refuse(503, 'Draining: reconnect to another instance');
      if (!isOriginAllowed(req.headers.origin, trustedOrigins)) {
        return refuse(403, 'Origin not allowed');
      }
      if (registry.size >= limits.maxConnections) {
        return refuse(503, `Connection limit reached (${limits.maxConnections})`);
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        socket.off('error', ignore);
        open(ws as TrackedWebSocket, req);
      });
    },
  };
}

function ignore(): void {}

function pathOf(url: string | undefined): string {
  const path = (url ?? '/').split('?')[0] ?? '/';
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/** A plain HTTP response on the raw socket: the handshake never happens. */
function rejectUpgrade(socket: Duplex, status: number, reason: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ error: reason });
  // Destroy once flushed: a peer ignoring our FIN must not keep the socket around.
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      (status === 503 ? 'Retry-After: 1\r\n' : '') +
      '\r\n' +
      body,
  );
}

const STATUS_TEXT: Record<number, string> = {
  403: 'Forbidden',
  404: 'Not Found',
  503: 'Service Unavailable',
};
