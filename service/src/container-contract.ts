/**
 * The container contract: what the service and the infrastructure that runs it must agree on.
 *
 * - ENV: the environment variables the service reads. The ECS task definition (constructs/) fills them,
 *   the service's config parser (config.ts) reads them. Rename one here and both sides follow.
 * - TIMING: the WebSocket timing defaults, ranges and cross-rules. constructs/timing.ts applies them at
 *   synth, config.ts at start, so the service refuses what synth would refuse.
 * - PATHS, CONTAINER, SHUTDOWN_GRACE: paths, port, user and the time a drain needs after its window.
 *
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
  /** Read by Node itself: the task sets V8's heap limit here (--max-old-space-size, see MEMORY_BUDGET). */
  nodeOptions: 'NODE_OPTIONS',

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
  /**
   * Events kept per topic for resumable subscriptions (the history window); 0 turns history and event
   * positions off. Range and default: HISTORY_RANGES, HISTORY_DEFAULTS.
   */
  historyMaxEvents: 'HISTORY_MAX_EVENTS',
  /** A topic's history is dropped this long after its last event, in milliseconds. */
  historyTtlMs: 'HISTORY_TTL_MS',
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
  /**
   * The service's own public origin (`https://api.example.com`), allowed like ALLOWED_ORIGINS (GraphiQL).
   * The Host header is never trusted for this: a DNS-rebinding page controls it.
   */
  publicOrigin: 'PUBLIC_ORIGIN',

  /** Largest accepted WebSocket message, in bytes. */
  maxPayloadBytes: 'MAX_PAYLOAD_BYTES',
  /** Time a socket has to send connection_init, in milliseconds. */
  connectionInitTimeoutMs: 'CONNECTION_INIT_TIMEOUT_MS',
  /** Most concurrent subscriptions on one socket. */
  maxSubscriptionsPerSocket: 'MAX_SUBSCRIPTIONS_PER_SOCKET',
  /** Most concurrent WebSocket + SSE connections on one task. */
  maxConnections: 'MAX_CONNECTIONS',
  /**
   * Most TCP connections the HTTP server holds at once (plain HTTP, requests still sending their headers,
   * WebSockets, SSE); more are closed as soon as they are accepted.
   */
  maxHttpConnections: 'MAX_HTTP_CONNECTIONS',
  /** Time a client has to send a request's complete headers (upgrades included), in milliseconds. */
  httpHeadersTimeoutMs: 'HTTP_HEADERS_TIMEOUT_MS',
  /** Time a client has to send a whole HTTP request (headers and body), in milliseconds. */
  httpRequestTimeoutMs: 'HTTP_REQUEST_TIMEOUT_MS',
  /** Largest `variables` of one WebSocket operation, in bytes of JSON. */
  maxVariablesBytesPerOperation: 'MAX_VARIABLES_BYTES_PER_OPERATION',
  /** Largest total `variables` of the operations running on one WebSocket, in bytes of JSON. */
  maxVariablesBytesPerSocket: 'MAX_VARIABLES_BYTES_PER_SOCKET',
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
  /**
   * Clock skew allowed when checking `exp`/`nbf`, in seconds; a connection authenticated with a token is
   * closed this long after the token's `exp`.
   */
  jwtClockToleranceSeconds: 'JWT_CLOCK_TOLERANCE_SECONDS',
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
  /**
   * The container health probe (service/src/healthcheck.ts: GET PATHS.health on PORT), run from the image's
   * working directory by the Dockerfile HEALTHCHECK and the task definition's health check alike.
   */
  healthCheckCommand: ['node', 'service/dist/healthcheck.js'],
} as const;

/**
 * Resumable subscriptions: the per-topic history window. A client that reconnects within it gets every event
 * it missed; size it for (events per second of the busiest topic) x (longest reconnect to cover).
 */
export const HISTORY_DEFAULTS = {
  maxEvents: 1_000,
  ttlSeconds: 300,
} as const;

export const HISTORY_RANGES = {
  maxEvents: { min: 0, max: 100_000 },
  ttlSeconds: { min: 1, max: 86_400 },
} as const;

/** The WebSocket timing values, in seconds (the unit of the ALB and ECS settings). */
export interface TimingSeconds {
  /** Interval between server pings (WebSocket) and keepalive comments (SSE). */
  readonly keepaliveIntervalSeconds: number;
  /** The load balancer's idle timeout. */
  readonly idleTimeoutSeconds: number;
  /** Window over which a draining task closes its open sockets with 1012. */
  readonly drainWindowSeconds: number;
  /** How often the ECS task metadata endpoint is polled for desiredStatus. */
  readonly drainPollIntervalSeconds: number;
  /** Target group deregistration delay. */
  readonly deregistrationDelaySeconds: number;
  /** Container stop timeout: time between SIGTERM and SIGKILL. */
  readonly stopTimeoutSeconds: number;
}

export type TimingName = keyof TimingSeconds;

/** Defaults of the timing values. The deregistration delay is derived (see defaultDeregistrationDelaySeconds). */
export const TIMING_DEFAULTS = {
  keepaliveIntervalSeconds: 15,
  idleTimeoutSeconds: 120,
  drainWindowSeconds: 30,
  drainPollIntervalSeconds: 1,
  stopTimeoutSeconds: 60,
} as const satisfies Omit<TimingSeconds, 'deregistrationDelaySeconds'>;

/** Allowed range of each timing value (AWS limits where AWS sets one), in seconds. */
export const TIMING_RANGES: Readonly<Record<TimingName, { min: number; max: number; integer: boolean }>> = {
  keepaliveIntervalSeconds: { min: 0.1, max: 3600, integer: false },
  /** ALB: 1..4000 s. */
  idleTimeoutSeconds: { min: 1, max: 4000, integer: true },
  drainWindowSeconds: { min: 0, max: 3600, integer: false },
  drainPollIntervalSeconds: { min: 0.1, max: 60, integer: false },
  /** Target group: 0..3600 s. */
  deregistrationDelaySeconds: { min: 0, max: 3600, integer: true },
  /** Fargate: 2..120 s. */
  stopTimeoutSeconds: { min: 2, max: 120, integer: true },
};

/** Margin added on top of the drain window (plus one poll) when deriving the deregistration delay, in s. */
export const DEREGISTRATION_MARGIN_SECONDS = 10;

/**
 * What the service needs after the drain window before it exits (close handshakes, in-flight HTTP) plus
 * 1 s for process exit, in seconds.
 */
export const SHUTDOWN_GRACE_SECONDS = (SHUTDOWN_GRACE.closeHandshakeMs + SHUTDOWN_GRACE.inFlightHttpMs) / 1000 + 1;

/** The deregistration delay used when none is set: the drain window, one poll and a margin. */
export function defaultDeregistrationDelaySeconds(
  drainWindowSeconds: number,
  drainPollIntervalSeconds: number,
): number {
  return Math.ceil(drainWindowSeconds + drainPollIntervalSeconds + DEREGISTRATION_MARGIN_SECONDS);
}

/** One broken timing rule: the value at fault and the rule, worded for the reader of `name`. */
export interface TimingViolation {
  readonly name: TimingName;
  readonly value: number;
  /** e.g. "must be an integer in 1..4000". */
  readonly rule: string;
}

/** How timingViolations words its rules for a reader. */
export interface TimingWording {
  /** Names a value: the construct prop by default, the environment variable in the service. */
  readonly label?: (name: TimingName) => string;
  /** Unit the reader gives values in, as a multiple of a second: 1 (default) or 1000 for milliseconds. */
  readonly scale?: number;
}

/**
 * Checks the timing values that are given (a missing value skips the rules that need it), range first,
 * then the rules between them. Values that are not finite numbers fail their range.
 */
export function timingViolations(values: Partial<TimingSeconds>, wording: TimingWording = {}): TimingViolation[] {
  const label = wording.label ?? ((name: TimingName) => name);
  const scale = wording.scale ?? 1;
  const n = (seconds: number): number => Math.round(seconds * scale * 1000) / 1000;
  const violations: TimingViolation[] = [];
  for (const name of Object.keys(TIMING_RANGES) as TimingName[]) {
    const value = values[name];
    if (value === undefined) continue;
    const { min, max, integer } = TIMING_RANGES[name];
    if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      violations.push({ name, value, rule: `must be ${integer ? 'an integer ' : ''}in ${n(min)}..${n(max)}` });
    }
  }
  if (violations.length > 0) return violations;

  const { keepaliveIntervalSeconds: keepalive, idleTimeoutSeconds: idle, drainWindowSeconds: drain } = values;
  const { drainPollIntervalSeconds: poll, deregistrationDelaySeconds: deregistration } = values;
  const { stopTimeoutSeconds: stop } = values;

  if (idle !== undefined && keepalive !== undefined && idle < 2 * keepalive) {
    violations.push({
      name: 'idleTimeoutSeconds',
      value: idle,
      rule:
        `must be at least 2x ${label('keepaliveIntervalSeconds')} (${n(keepalive)}), i.e. >= ${n(2 * keepalive)}; ` +
        `raise ${label('idleTimeoutSeconds')} or lower ${label('keepaliveIntervalSeconds')}, or quiet sockets are cut with 1006`,
    });
  }
  if (deregistration !== undefined && drain !== undefined && poll !== undefined && deregistration < drain + poll) {
    violations.push({
      name: 'deregistrationDelaySeconds',
      value: deregistration,
      rule:
        `must be >= ${label('drainWindowSeconds')} + ${label('drainPollIntervalSeconds')} (${n(drain + poll)}) ` +
        'so the task finishes draining before the ALB cuts what is left',
    });
  }
  if (stop !== undefined && drain !== undefined) {
    // A SIGTERM-triggered drain takes the window, then the close handshakes and in-flight HTTP grace.
    const minStop = Math.ceil(drain + SHUTDOWN_GRACE_SECONDS);
    if (stop < minStop) {
      violations.push({
        name: 'stopTimeoutSeconds',
        value: stop,
        rule:
          `must be >= ${label('drainWindowSeconds')} (${n(drain)}) + ${SHUTDOWN_GRACE_SECONDS} s of shutdown grace, i.e. >= ${n(minStop)}, ` +
          `so a SIGTERM-triggered drain ends before SIGKILL; lower ${label('drainWindowSeconds')} or raise ${label('stopTimeoutSeconds')}`,
      });
    }
  }
  return violations;
}

/**
 * The memory budget of one task: what MAX_CONNECTIONS sockets hold when each is at its limits must fit in
 * the task's memory. The constructs derive MAX_CONNECTIONS (and V8's heap limit) from the task memory
 * with these numbers; docs/security.md shows the arithmetic.
 */
export const MEMORY_BUDGET = {
  /** Process baseline (Node, V8, Yoga, schema, Redis client) plus headroom for GC and bursts, in MiB. */
  reserveMiB: 256,
  /** One idle subscribed socket (measured 9.7 KB RSS, 6.1 KB heap in bench/results), rounded up, in bytes. */
  socketBytes: 16 * 1024,
  /** Heap held per byte of operation variables (measured about 3x: parsed values, JSON, shared-subscription key). */
  variablesHeapFactor: 3,
  /** Default of MAX_VARIABLES_BYTES_PER_OPERATION. */
  maxVariablesBytesPerOperation: 8 * 1024,
  /** Default of MAX_VARIABLES_BYTES_PER_SOCKET. */
  maxVariablesBytesPerSocket: 16 * 1024,
  /** Derived connection counts stop here: one file descriptor per socket, and the task's nofile limit is 65535. */
  maxConnectionsCeiling: 60_000,
  /** Share of the task memory given to V8's old space (--max-old-space-size); the rest is buffers and code. */
  heapShare: 0.75,
} as const;

/** Worst-case memory of one socket at its limits, in bytes: the socket itself plus its variables budget. */
export function socketBudgetBytes(
  maxVariablesBytesPerSocket: number = MEMORY_BUDGET.maxVariablesBytesPerSocket,
): number {
  return MEMORY_BUDGET.socketBytes + MEMORY_BUDGET.variablesHeapFactor * maxVariablesBytesPerSocket;
}

/**
 * The most sockets a task with `memoryMiB` can hold at their limits: (memory - reserve) / socketBudgetBytes,
 * at most maxConnectionsCeiling and at least 1.
 */
export function maxConnectionsForMemory(
  memoryMiB: number,
  maxVariablesBytesPerSocket: number = MEMORY_BUDGET.maxVariablesBytesPerSocket,
): number {
  const available = (memoryMiB - MEMORY_BUDGET.reserveMiB) * 1024 * 1024;
  const fit = Math.floor(available / socketBudgetBytes(maxVariablesBytesPerSocket));
  return Math.max(1, Math.min(MEMORY_BUDGET.maxConnectionsCeiling, fit));
}
