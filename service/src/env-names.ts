/**
 * Names of the environment variables the service reads.
 *
 * This file is the contract between the service and the infrastructure that runs it: the ECS task
 * definition (constructs/) imports these names to fill the container's environment and secrets, and
 * the service's config parser (config.ts) reads them. Rename one here and both sides follow.
 * It must stay free of imports so the constructs can load it without the service's dependencies.
 */
export const ENV = {
  /** TCP port to listen on. */
  port: 'PORT',
  /** Address to bind. */
  host: 'HOST',
  /** `production` turns off introspection and GraphiQL and masks errors. */
  nodeEnv: 'NODE_ENV',
  /** Log level: debug | info | warn | error. */
  logLevel: 'LOG_LEVEL',
  /** Version string reported by Query.serverInfo and logs (the image tag). */
  version: 'APP_VERSION',

  /** Interval of WebSocket pings and SSE keepalive comments, in milliseconds. */
  keepaliveIntervalMs: 'KEEPALIVE_INTERVAL_MS',
  /** Window over which open sockets are closed with 1012 when draining, in milliseconds. */
  drainWindowMs: 'DRAIN_WINDOW_MS',
  /**
   * The load balancer's idle timeout, in milliseconds. The service keeps idle HTTP keep-alive connections
   * open longer than this (AWS advises it: otherwise the ALB may reuse a connection the service just
   * closed and answer 502).
   */
  lbIdleTimeoutMs: 'LB_IDLE_TIMEOUT_MS',
  /** How often the ECS task metadata endpoint is polled for desiredStatus, in milliseconds. */
  drainPollIntervalMs: 'DRAIN_POLL_INTERVAL_MS',
  /** Set by ECS on Fargate (platform 1.4+); polled to learn that the task is being stopped. */
  ecsMetadataUri: 'ECS_CONTAINER_METADATA_URI_V4',

  /** redis:// or rediss:// URL; unset means in-memory pub/sub (single instance). */
  redisUrl: 'REDIS_URL',
  /** ElastiCache AUTH token (passed as an ECS secret, never plain environment). */
  redisAuthToken: 'REDIS_AUTH_TOKEN',
  /** `true` to use TLS to Redis (ElastiCache in-transit encryption) even with a redis:// URL. */
  redisTls: 'REDIS_TLS',

  /** Comma-separated origins allowed to open WebSockets and make CORS requests. */
  allowedOrigins: 'ALLOWED_ORIGINS',

  /** Largest accepted WebSocket message, in bytes. */
  maxPayloadBytes: 'MAX_PAYLOAD_BYTES',
  /** Time a socket has to send connection_init, in milliseconds. */
  connectionInitTimeoutMs: 'CONNECTION_INIT_TIMEOUT_MS',
  /** Most concurrent subscriptions on one socket. */
  maxSubscriptionsPerSocket: 'MAX_SUBSCRIPTIONS_PER_SOCKET',
  /** Most concurrent WebSocket + SSE connections on one task. */
  maxConnections: 'MAX_CONNECTIONS',
  /**
   * `false` turns off subscription de-duplication on WebSockets (every subscription executes per
   * connection); default `true`.
   */
  sharedSubscriptions: 'SHARED_SUBSCRIPTIONS',

  /** HS256 shared secret for the JWT verifier (ECS secret). */
  jwtSecret: 'JWT_SECRET',
  /** JWKS URL for the JWT verifier (RS256/ES256). */
  jwtJwksUrl: 'JWT_JWKS_URL',
  /** Expected `iss` claim. */
  jwtIssuer: 'JWT_ISSUER',
  /** Expected `aud` claim. */
  jwtAudience: 'JWT_AUDIENCE',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

/** Paths served by the service. The target group's health check uses HEALTH_PATH. */
export const PATHS = {
  graphql: '/graphql',
  health: '/health',
  ready: '/ready',
} as const;

/**
 * What a drain takes on top of the drain window, in milliseconds: the infrastructure's stop timeout must
 * leave room for it (constructs/timing.ts checks stopTimeout >= drain window + these + 1 s).
 */
export const SHUTDOWN_GRACE = {
  /** Time for clients to answer the 1012 close handshake after the last drain batch. */
  closeHandshakeMs: 3_000,
  /** Time for in-flight HTTP requests to finish once the server stops accepting. */
  inFlightHttpMs: 5_000,
} as const;

/** Container facts the Dockerfile and the ECS task definition must agree on. */
export const CONTAINER = {
  /** Port the container listens on (Dockerfile EXPOSE, task definition portMappings). */
  port: 4000,
  /** Non-root user from the node base image (Dockerfile USER, task definition `user`). */
  user: '1000:1000',
  /** The only writable path with a read-only root filesystem. */
  tmpDir: '/tmp',
} as const;
