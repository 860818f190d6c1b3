/**
 * The app factory: wires config -> pub/sub, Yoga, the WebSocket and SSE adapters, the node http server,
 * and owns the lifecycle (start, drain, stop). The entry point (main.ts) and the tests build the same app.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Plugin } from 'graphql-yoga';
import { createJwtVerifier, type TokenVerifier } from './auth';
import type { AppConfig } from './config';
import { createDefenceCounters, type DefenceCounters } from './counters';
import { PATHS, SHUTDOWN_GRACE } from './container-contract';
import { createLogger, errorFields, type Logger } from './logger';
import { createTopicPubSub, type PubSub } from './pubsub';
import type { ChatTopics, ServerInfoSource } from './schema';
import { ConnectionRegistry } from './transport/connections';
import { createRequestListener, type Readiness } from './transport/http';
import { createWebSocketAdapter } from './transport/ws/adapter';
import { createProtocolServer, type GetEnveloped } from './transport/ws/protocol';
import type { SharedSubscriptionsOptions } from './transport/ws/shared/analysis';
import { SharedSubscriptions, type SharedSubscriptionStats } from './transport/ws/shared/registry';
import { createGraphQLServer, type GraphQLServer } from './yoga';

export interface BuildAppOptions {
  /** Defaults to JSON lines on stdout at config.logLevel. */
  readonly logger?: Logger;
  /** Defaults to the JWT verifier when config.jwt is set, else none (anonymous). */
  readonly verifier?: TokenVerifier;
  /** Extra Yoga/envelop plugins, applied to HTTP, SSE and WebSocket operations alike. */
  readonly plugins?: readonly Plugin[];
  /**
   * Subscription de-duplication on WebSockets (on unless config.sharedSubscriptions is false): which
   * fields depend on the connection, and the auth scope within which results are shared.
   * @default no per-connection fields; scope = the verified subject, or 'anonymous' without a verifier
   */
  readonly sharedSubscriptions?: SharedSubscriptionsOptions;
}

export interface StartedApp {
  readonly port: number;
  /** http://host:port (no path). */
  readonly url: string;
  /** http://host:port/graphql */
  readonly graphqlUrl: string;
  /** ws://host:port/graphql */
  readonly wsUrl: string;
}

export interface App {
  readonly config: AppConfig;
  readonly logger: Logger;
  readonly pubsub: PubSub<ChatTopics>;
  readonly yoga: GraphQLServer;
  readonly httpServer: Server;
  /** Listens on config.host:config.port (0 = a free port). */
  start(): Promise<StartedApp>;
  readiness(): Readiness;
  connections(): { webSocket: number; sse: number; total: number };
  /** How often each defence against misbehaving clients fired (also in `/ready`). */
  counters(): Readonly<DefenceCounters>;
  /** Shared WebSocket subscriptions: groups (one execution each) and the subscriptions they serve. */
  sharedSubscriptions(): SharedSubscriptionStats;
  /**
   * Graceful shutdown (idempotent; the same promise for every caller): readiness 503 and new connections
   * refused at once, open sockets closed with 1012 in jittered batches over config.drainWindowMs, SSE
   * streams ended, then in-flight HTTP finished, Yoga disposed, Redis quit.
   */
  drain(reason: string): Promise<void>;
  /** Immediate shutdown: connections terminated, no window (tests, a second Ctrl-C). */
  stop(): Promise<void>;
}

/** Time for clients to answer the 1012 close handshake after the last drain batch. */
export const DRAIN_CLOSE_GRACE_MS = SHUTDOWN_GRACE.closeHandshakeMs;
/** Time for in-flight HTTP requests to finish once the server stops accepting. */
export const HTTP_FINISH_GRACE_MS = SHUTDOWN_GRACE.inFlightHttpMs;
/**
 * Idle HTTP keep-alive connections stay open this much longer than the load balancer's idle timeout, as
 * AWS advises: otherwise the ALB may reuse a connection the service just closed and answer 502.
 */
export const HTTP_KEEPALIVE_MARGIN_MS = 5_000;

export function buildApp(config: AppConfig, options: BuildAppOptions = {}): App {
  const logger = options.logger ?? createLogger(config.logLevel).child({ instance: config.instanceId });
  const verifier = options.verifier ?? (config.jwt !== undefined ? createJwtVerifier(config.jwt) : undefined);
  const pubsub = createTopicPubSub<ChatTopics>({
    ...(config.redis !== undefined ? { redis: config.redis } : {}),
    maxQueuedEvents: config.limits.maxQueuedEventsPerSubscription,
    history: config.history,
    logger,
  });
  const registry = new ConnectionRegistry(logger);
  const counters = createDefenceCounters();
  // Read on every upgrade and CORS request; in development the listening address joins it at start.
  const trustedOrigins: string[] = [
    ...config.allowedOrigins,
    ...(config.publicOrigin !== undefined ? [config.publicOrigin] : []),
  ];
  const serverInfo: ServerInfoSource = {
    instanceId: config.instanceId,
    version: config.version,
    startedAt: Date.now(),
    connectionCount: () => registry.size,
  };
  const yoga = createGraphQLServer({
    config,
    pubsub,
    server: serverInfo,
    verifier,
    registry,
    logger,
    trustedOrigins,
    counters,
    ...(options.plugins !== undefined ? { plugins: options.plugins } : {}),
  });
  const getEnveloped: GetEnveloped = yoga.getEnveloped;
  const shared = config.sharedSubscriptions
    ? new SharedSubscriptions(getEnveloped({}).schema, options.sharedSubscriptions ?? {}, logger)
    : undefined;
  const protocol = createProtocolServer({
    getEnveloped,
    verifier,
    limits: config.limits,
    logger,
    ...(shared !== undefined ? { shared } : {}),
  });
  const webSocket = createWebSocketAdapter({
    registry,
    protocol,
    limits: config.limits,
    trustedOrigins,
    logger,
    counters,
  });

  const readiness = (): Readiness => {
    const pubsubStatus = pubsub.status();
    return {
      ready: !registry.draining && pubsubStatus.ready,
      draining: registry.draining,
      pubsub: pubsubStatus,
      instanceId: config.instanceId,
      connections: registry.counts(),
      counters: { ...counters },
    };
  };

  const { httpHeadersTimeoutMs, httpRequestTimeoutMs, maxHttpConnections } = config.limits;
  const httpServer = createServer(
    // How often node looks for requests past their headers/request timeout: a fraction of the timeout, so a
    // trickling client is cut close to it rather than up to node's default 30 s later.
    { connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(httpHeadersTimeoutMs / 4))) },
    createRequestListener(yoga, readiness),
  );
  httpServer.keepAliveTimeout = config.lbIdleTimeoutMs + HTTP_KEEPALIVE_MARGIN_MS;
  // Their own, short limits: a client trickling its headers (a WebSocket upgrade included), or sending none
  // at all, is answered 408 and closed after seconds, whatever the keep-alive timeout. Node starts the
  // headers timeout when the connection opens, not at its first byte.
  httpServer.headersTimeout = httpHeadersTimeoutMs;
  httpServer.requestTimeout = httpRequestTimeoutMs;
  // Every TCP connection counts, pending upgrades and idle ones included; more are closed at accept.
  httpServer.maxConnections = maxHttpConnections;
  httpServer.on('drop', () => {
    if (counters.httpConnectionsDropped++ % 1_000 === 0) {
      logger.warn('http.connections_dropped', { max: maxHttpConnections, total: counters.httpConnectionsDropped });
    }
  });
  httpServer.on('upgrade', webSocket.handleUpgrade);

  let drainPromise: Promise<void> | undefined;
  let closePromise: Promise<void> | undefined;

  /** Stops accepting, lets in-flight requests finish (bounded), disposes Yoga, quits Redis. */
  const closeEverything = (httpGraceMs: number): Promise<void> => {
    closePromise ??= (async () => {
      registry.dispose();
      await closeHttpServer(httpServer, httpGraceMs);
      await yoga.dispose();
      await pubsub.close();
    })();
    return closePromise;
  };

  return {
    config,
    logger,
    pubsub,
    yoga,
    httpServer,

    start() {
      return new Promise<StartedApp>((resolve, reject) => {
        const onError = (err: Error) => reject(err);
        httpServer.once('error', onError);
        httpServer.listen(config.port, config.host, () => {
          httpServer.off('error', onError);
          const { port } = httpServer.address() as AddressInfo;
          const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
          const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
          if (config.mode === 'development' && config.publicOrigin === undefined) {
            // GraphiQL served from this process: its own address, never whatever Host a request names.
            trustedOrigins.push(`http://localhost:${port}`, new URL(url).origin);
          }
          registry.startKeepalive(config.keepaliveIntervalMs);
          logger.info('server.listening', {
            port,
            host: config.host,
            mode: config.mode,
            version: config.version,
            pubsub: pubsub.status().backend,
            auth: verifier !== undefined ? 'jwt' : 'anonymous',
            keepaliveIntervalMs: config.keepaliveIntervalMs,
            drainWindowMs: config.drainWindowMs,
            sharedSubscriptions: config.sharedSubscriptions,
            history: config.history,
          });
          resolve({ port, url, graphqlUrl: url + PATHS.graphql, wsUrl: url.replace(/^http/, 'ws') + PATHS.graphql });
        });
      });
    },

    readiness,
    connections: () => registry.counts(),
    counters: () => ({ ...counters }),
    sharedSubscriptions: () => shared?.stats() ?? { groups: 0, members: 0 },

    drain(reason) {
      drainPromise ??= (async () => {
        const startedAt = Date.now();
        registry.draining = true;
        logger.info('drain.start', { reason, windowMs: config.drainWindowMs, connections: registry.counts() });
        await registry.drainConnections(config.drainWindowMs, DRAIN_CLOSE_GRACE_MS);
        logger.info('drain.connections_closed', { elapsedMs: Date.now() - startedAt });
        try {
          await closeEverything(HTTP_FINISH_GRACE_MS);
        } catch (err) {
          logger.error('drain.close_failed', errorFields(err));
        }
        logger.info('drain.complete', { reason, elapsedMs: Date.now() - startedAt });
      })();
      return drainPromise;
    },

    async stop() {
      registry.draining = true;
      registry.terminateAll();
      await registry.whenEmpty(1_000);
      await closeEverything(0);
    },
  };
}

/**
 * server.close() stops accepting and waits for open connections. Keep-alive connections are closed as soon
 * as they are idle (checked every 100 ms, since a request finishing does not close its connection), and
 * whatever is still busy after the grace is cut.
 */
async function closeHttpServer(server: Server, graceMs: number): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), 100);
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  try {
    await closed;
  } finally {
    clearInterval(sweep);
    clearTimeout(timer);
  }
}
