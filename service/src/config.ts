/**
 * Parses and validates the service's environment (names from container-contract.ts, the contract with the ECS task
 * definition). Every problem is reported at once, each naming the variable, the value it got and the
 * allowed range, so a bad task definition fails at start with one readable message.
 */
import { randomUUID } from 'node:crypto';
import type { HistoryLimits } from './history/store';
import {
  ENV,
  HISTORY_DEFAULTS,
  HISTORY_RANGES,
  MEMORY_BUDGET,
  TIMING_DEFAULTS,
  TIMING_RANGES,
  type TimingName,
  timingViolations,
} from './container-contract';

export type Mode = 'production' | 'development';
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Limits that protect the task from abusive or slow clients. */
export interface Limits {
  /** Largest accepted WebSocket message in bytes; bigger frames close the socket with 1009. */
  readonly maxPayloadBytes: number;
  /** Time a new WebSocket has to send `connection_init` before it is closed with 4408, in ms. */
  readonly connectionInitTimeoutMs: number;
  /** Most concurrent operations (subscriptions and in-flight queries) on one WebSocket. */
  readonly maxSubscriptionsPerSocket: number;
  /** Most concurrent WebSocket + SSE connections on this task; more are refused with HTTP 503. */
  readonly maxConnections: number;
  /**
   * Most TCP connections the HTTP server holds (plain HTTP, pending upgrades, WebSockets, SSE); more are
   * closed as soon as they are accepted. At least maxConnections.
   */
  readonly maxHttpConnections: number;
  /** Time a client has to send a request's complete headers (WebSocket upgrades included), in ms. */
  readonly httpHeadersTimeoutMs: number;
  /** Time a client has to send a whole HTTP request, headers and body, in ms. */
  readonly httpRequestTimeoutMs: number;
  /** Largest `variables` of one WebSocket operation, in bytes of JSON. */
  readonly maxVariablesBytesPerOperation: number;
  /** Largest total `variables` of the operations running at once on one WebSocket, in bytes of JSON. */
  readonly maxVariablesBytesPerSocket: number;
  /** Largest accepted HTTP request body in bytes (Yoga answers 413 above it). */
  readonly maxRequestBodyBytes: number;
  /** graphql-armor: deepest selection set. */
  readonly maxDepth: number;
  /** graphql-armor: most aliases in one operation. */
  readonly maxAliases: number;
  /** graphql-armor: most lexer tokens in one document (checked while parsing). */
  readonly maxTokens: number;
  /** graphql-armor: highest computed operation cost. */
  readonly maxCost: number;
  /**
   * Slow consumers: bytes a WebSocket may have queued for sending (ws `bufferedAmount`) before the next
   * send closes it with CLOSE_CODES.slowConsumer instead of buffering more.
   */
  readonly maxBufferedBytes: number;
  /**
   * Slow consumers: events one subscription may have waiting to be executed and sent. Past it the
   * subscription fails with SUBSCRIPTION_OVERFLOW (WebSocket: the socket is closed with slowConsumer).
   */
  readonly maxQueuedEventsPerSubscription: number;
}

export interface RedisConfig {
  /** redis:// or rediss:// URL. */
  readonly url: string;
  /** ElastiCache AUTH token; sent as the password. */
  readonly authToken?: string;
  /** TLS (ElastiCache in-transit encryption); true for rediss:// URLs or REDIS_TLS=true. */
  readonly tls: boolean;
}

export interface JwtConfig {
  /** HS256 shared secret. Exactly one of secret and jwksUrl is set. */
  readonly secret?: string;
  /** JWKS URL for asymmetric keys (RS256, ES256, ...). */
  readonly jwksUrl?: string;
  /** Expected `iss` claim. */
  readonly issuer?: string;
  /** Expected `aud` claim(s). */
  readonly audience?: readonly string[];
  /** Clock skew allowed on `exp`/`nbf`, in seconds; connections are closed this long after `exp`. */
  readonly clockToleranceSeconds: number;
}

export interface AppConfig {
  /** TCP port; 0 picks a free one (tests). */
  readonly port: number;
  readonly host: string;
  readonly mode: Mode;
  readonly logLevel: LogLevel;
  /** Reported by Query.serverInfo and the logs (the image tag in ECS). */
  readonly version: string;
  /** Random per process: tells clients and logs which task answered. */
  readonly instanceId: string;
  /** WebSocket ping and SSE keepalive interval, in ms. Must stay well under the ALB idle timeout. */
  readonly keepaliveIntervalMs: number;
  /** Window over which a draining task closes its sockets with 1012, in ms. */
  readonly drainWindowMs: number;
  /** Poll interval of the ECS task metadata endpoint, in ms. */
  readonly drainPollIntervalMs: number;
  /** The load balancer's idle timeout, in ms: idle HTTP keep-alive connections are kept open longer. */
  readonly lbIdleTimeoutMs: number;
  /** ECS task metadata endpoint v4; unset outside ECS (no metadata watcher). */
  readonly ecsMetadataUri?: string;
  /** Unset: in-memory pub/sub (one instance only). */
  readonly redis?: RedisConfig;
  /** Exact origins (scheme://host[:port]) allowed to open WebSockets and make CORS requests. */
  readonly allowedOrigins: readonly string[];
  /**
   * The service's own public origin, allowed like allowedOrigins. Unset in development: the listening
   * address (http://localhost:<port>, http://127.0.0.1:<port>) is allowed instead; in production, nothing.
   */
  readonly publicOrigin?: string;
  readonly limits: Limits;
  /**
   * Subscription de-duplication on WebSockets: sockets with the same subscription (query, variables, auth
   * scope) share one execution and one serialized frame per event. Off: every subscription runs per socket.
   */
  readonly sharedSubscriptions: boolean;
  /** Per-topic history for resumable subscriptions; maxEvents 0: off (no positions, no resume). */
  readonly history: HistoryLimits;
  /** Unset: anonymous access. */
  readonly jwt?: JwtConfig;
}

export const DEFAULT_PORT = 4000;
/** Default of JWT_CLOCK_TOLERANCE_SECONDS. */
export const DEFAULT_JWT_CLOCK_TOLERANCE_SECONDS = 5;

export const DEFAULT_LIMITS: Limits = {
  maxPayloadBytes: 64 * 1024,
  connectionInitTimeoutMs: 5_000,
  maxSubscriptionsPerSocket: 50,
  maxConnections: 10_000,
  maxHttpConnections: 11_000,
  httpHeadersTimeoutMs: 10_000,
  httpRequestTimeoutMs: 30_000,
  maxVariablesBytesPerOperation: MEMORY_BUDGET.maxVariablesBytesPerOperation,
  maxVariablesBytesPerSocket: MEMORY_BUDGET.maxVariablesBytesPerSocket,
  maxRequestBodyBytes: 100 * 1024,
  maxDepth: 8,
  maxAliases: 15,
  maxTokens: 1_000,
  maxCost: 5_000,
  maxBufferedBytes: 1024 * 1024,
  maxQueuedEventsPerSubscription: 1_000,
};

/** Connections over MAX_CONNECTIONS that MAX_HTTP_CONNECTIONS leaves for plain HTTP when it is not set. */
export const HTTP_CONNECTION_HEADROOM = 1_000;

/** Timing defaults in milliseconds, from the container contract (the constructs apply the same ones). */
export const DEFAULT_TIMING_MS = {
  keepaliveIntervalMs: TIMING_DEFAULTS.keepaliveIntervalSeconds * 1000,
  drainWindowMs: TIMING_DEFAULTS.drainWindowSeconds * 1000,
  drainPollIntervalMs: TIMING_DEFAULTS.drainPollIntervalSeconds * 1000,
  lbIdleTimeoutMs: TIMING_DEFAULTS.idleTimeoutSeconds * 1000,
} as const;

/** The timing values the service reads, by their name in the contract's rules. */
const TIMING_ENV = {
  keepaliveIntervalSeconds: ENV.keepaliveIntervalMs,
  idleTimeoutSeconds: ENV.lbIdleTimeoutMs,
  drainWindowSeconds: ENV.drainWindowMs,
  drainPollIntervalSeconds: ENV.drainPollIntervalMs,
} as const;

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid service configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads and validates the environment. Throws ConfigError listing every problem. */
export function loadConfig(env: Env = process.env): AppConfig {
  const problems: string[] = [];
  const r = new Reader(env, problems);

  const nodeEnv = r.oneOf(ENV.nodeEnv, ['production', 'development', 'test'] as const, 'development');
  const mode: Mode = nodeEnv === 'production' ? 'production' : 'development';

  const port = r.int(ENV.port, DEFAULT_PORT, 0, 65535);
  const host = r.string(ENV.host) ?? '0.0.0.0';
  const logLevel = r.oneOf(ENV.logLevel, LOG_LEVELS, 'info');
  const version = r.string(ENV.version) ?? '0.0.0-dev';

  const timingMs = (name: keyof typeof TIMING_ENV, fallbackMs: number): number => {
    const { min, max } = TIMING_RANGES[name];
    return r.int(TIMING_ENV[name], fallbackMs, Math.ceil(min * 1000), max * 1000, 'ms');
  };
  const keepaliveIntervalMs = timingMs('keepaliveIntervalSeconds', DEFAULT_TIMING_MS.keepaliveIntervalMs);
  const drainWindowMs = timingMs('drainWindowSeconds', DEFAULT_TIMING_MS.drainWindowMs);
  const drainPollIntervalMs = timingMs('drainPollIntervalSeconds', DEFAULT_TIMING_MS.drainPollIntervalMs);
  const lbIdleTimeoutMs = timingMs('idleTimeoutSeconds', DEFAULT_TIMING_MS.lbIdleTimeoutMs);
  // The rules between timing values that synth enforces, so a hand-edited task definition fails here too.
  const timingLabel = (name: TimingName): string =>
    name in TIMING_ENV ? TIMING_ENV[name as keyof typeof TIMING_ENV] : name;
  const timing = {
    keepaliveIntervalSeconds: keepaliveIntervalMs / 1000,
    idleTimeoutSeconds: lbIdleTimeoutMs / 1000,
    drainWindowSeconds: drainWindowMs / 1000,
    drainPollIntervalSeconds: drainPollIntervalMs / 1000,
  };
  for (const { name, value, rule } of timingViolations(timing, { label: timingLabel, scale: 1000 })) {
    problems.push(`${timingLabel(name)}=${value * 1000} ${rule}`);
  }
  const ecsMetadataUri = r.url(ENV.ecsMetadataUri, ['http:', 'https:']);

  const redisUrl = r.url(ENV.redisUrl, ['redis:', 'rediss:']);
  const redisAuthToken = r.string(ENV.redisAuthToken);
  const redisTls = r.bool(ENV.redisTls, false);
  let redis: RedisConfig | undefined;
  if (redisUrl !== undefined) {
    redis = {
      url: redisUrl,
      ...(redisAuthToken !== undefined ? { authToken: redisAuthToken } : {}),
      tls: redisTls || redisUrl.startsWith('rediss:'),
    };
  } else if (redisAuthToken !== undefined || env[ENV.redisTls] !== undefined) {
    problems.push(
      `${ENV.redisAuthToken}/${ENV.redisTls} are set but ${ENV.redisUrl} is not; set ${ENV.redisUrl} or remove them`,
    );
  }

  const allowedOrigins = r.origins(ENV.allowedOrigins);
  const [publicOrigin, ...extraPublic] = r.origins(ENV.publicOrigin);
  if (extraPublic.length > 0) problems.push(`${ENV.publicOrigin} must be one origin (got ${1 + extraPublic.length})`);

  const limits: Limits = {
    ...DEFAULT_LIMITS,
    maxPayloadBytes: r.int(ENV.maxPayloadBytes, DEFAULT_LIMITS.maxPayloadBytes, 1024, 16 * 1024 * 1024, 'bytes'),
    connectionInitTimeoutMs: r.int(
      ENV.connectionInitTimeoutMs,
      DEFAULT_LIMITS.connectionInitTimeoutMs,
      100,
      60_000,
      'ms',
    ),
    maxSubscriptionsPerSocket: r.int(ENV.maxSubscriptionsPerSocket, DEFAULT_LIMITS.maxSubscriptionsPerSocket, 1, 1_000),
    maxConnections: r.int(ENV.maxConnections, DEFAULT_LIMITS.maxConnections, 1, 1_000_000),
    httpHeadersTimeoutMs: r.int(ENV.httpHeadersTimeoutMs, DEFAULT_LIMITS.httpHeadersTimeoutMs, 100, 300_000, 'ms'),
    httpRequestTimeoutMs: r.int(ENV.httpRequestTimeoutMs, DEFAULT_LIMITS.httpRequestTimeoutMs, 100, 600_000, 'ms'),
    maxVariablesBytesPerOperation: r.int(
      ENV.maxVariablesBytesPerOperation,
      DEFAULT_LIMITS.maxVariablesBytesPerOperation,
      16,
      16 * 1024 * 1024,
      'bytes',
    ),
    maxVariablesBytesPerSocket: r.int(
      ENV.maxVariablesBytesPerSocket,
      DEFAULT_LIMITS.maxVariablesBytesPerSocket,
      16,
      256 * 1024 * 1024,
      'bytes',
    ),
  };
  const maxHttpConnections = r.int(
    ENV.maxHttpConnections,
    limits.maxConnections + HTTP_CONNECTION_HEADROOM,
    1,
    2_000_000,
  );
  if (maxHttpConnections < limits.maxConnections) {
    problems.push(
      `${ENV.maxHttpConnections}=${maxHttpConnections} must be >= ${ENV.maxConnections} (${limits.maxConnections}): ` +
        'every WebSocket and SSE stream is also an HTTP connection',
    );
  }
  if (limits.httpRequestTimeoutMs < limits.httpHeadersTimeoutMs) {
    problems.push(
      `${ENV.httpRequestTimeoutMs}=${limits.httpRequestTimeoutMs} must be >= ${ENV.httpHeadersTimeoutMs} (${limits.httpHeadersTimeoutMs})`,
    );
  }
  if (limits.maxVariablesBytesPerSocket < limits.maxVariablesBytesPerOperation) {
    problems.push(
      `${ENV.maxVariablesBytesPerSocket}=${limits.maxVariablesBytesPerSocket} must be >= ` +
        `${ENV.maxVariablesBytesPerOperation} (${limits.maxVariablesBytesPerOperation})`,
    );
  }

  const sharedSubscriptions = r.bool(ENV.sharedSubscriptions, true);
  const history: HistoryLimits = {
    maxEvents: r.int(
      ENV.historyMaxEvents,
      HISTORY_DEFAULTS.maxEvents,
      HISTORY_RANGES.maxEvents.min,
      HISTORY_RANGES.maxEvents.max,
    ),
    ttlMs: r.int(
      ENV.historyTtlMs,
      HISTORY_DEFAULTS.ttlSeconds * 1000,
      HISTORY_RANGES.ttlSeconds.min * 1000,
      HISTORY_RANGES.ttlSeconds.max * 1000,
      'ms',
    ),
  };
  const jwt = readJwt(r, problems);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port,
    host,
    mode,
    logLevel,
    version,
    instanceId: randomUUID(),
    keepaliveIntervalMs,
    drainWindowMs,
    drainPollIntervalMs,
    lbIdleTimeoutMs,
    ...(ecsMetadataUri !== undefined ? { ecsMetadataUri } : {}),
    ...(redis !== undefined ? { redis } : {}),
    allowedOrigins,
    ...(publicOrigin !== undefined ? { publicOrigin } : {}),
    limits: { ...limits, maxHttpConnections },
    sharedSubscriptions,
    history,
    ...(jwt !== undefined ? { jwt } : {}),
  };
}

function readJwt(r: Reader, problems: string[]): JwtConfig | undefined {
  const secret = r.string(ENV.jwtSecret);
  const jwksUrl = r.url(ENV.jwtJwksUrl, ['https:', 'http:']);
  const issuer = r.string(ENV.jwtIssuer);
  const audienceRaw = r.string(ENV.jwtAudience);
  const clockToleranceSeconds = r.int(ENV.jwtClockToleranceSeconds, DEFAULT_JWT_CLOCK_TOLERANCE_SECONDS, 0, 300, 's');
  const audience = audienceRaw
    ?.split(',')
    .map((a) => a.trim())
    .filter((a) => a.length > 0);

  if (secret !== undefined && jwksUrl !== undefined) {
    problems.push(`${ENV.jwtSecret} and ${ENV.jwtJwksUrl} are both set; set exactly one (HS256 secret or JWKS URL)`);
    return undefined;
  }
  if (secret === undefined && jwksUrl === undefined) {
    // Issuer/audience without a key would silently leave the API anonymous: refuse the misconfiguration.
    if (issuer !== undefined || audienceRaw !== undefined) {
      problems.push(
        `${ENV.jwtIssuer}/${ENV.jwtAudience} are set but neither ${ENV.jwtSecret} nor ${ENV.jwtJwksUrl} is; ` +
          'without a key the API would be anonymous',
      );
    }
    return undefined;
  }
  if (secret !== undefined && Buffer.byteLength(secret) < 32) {
    // RFC 7518 3.2: an HS256 key must be at least 256 bits.
    problems.push(`${ENV.jwtSecret} must be at least 32 bytes for HS256 (got ${Buffer.byteLength(secret)} bytes)`);
  }
  return {
    ...(secret !== undefined ? { secret } : {}),
    ...(jwksUrl !== undefined ? { jwksUrl } : {}),
    ...(issuer !== undefined ? { issuer } : {}),
    ...(audience !== undefined && audience.length > 0 ? { audience } : {}),
    clockToleranceSeconds,
  };
}

/** Small typed readers; each records a problem instead of throwing so all are reported together. */
class Reader {
  constructor(
    private readonly env: Env,
    private readonly problems: string[],
  ) {}

  /** Trimmed value, or undefined when unset or blank. */
  string(name: string): string | undefined {
    const raw = this.env[name];
    if (raw === undefined) return undefined;
    const value = raw.trim();
    return value === '' ? undefined : value;
  }

  int(name: string, fallback: number, min: number, max: number, unit = ''): number {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const value = /^-?\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      this.problems.push(`${name}='${raw}' must be an integer in ${min}..${max}${unit ? ` (${unit})` : ''}`);
      return fallback;
    }
    return value;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    if (raw === 'true') return true;
    if (raw === 'false') return false;
    this.problems.push(`${name}='${raw}' must be 'true' or 'false'`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    this.problems.push(`${name}='${raw}' must be one of ${allowed.join(' | ')}`);
    return fallback;
  }

  url(name: string, protocols: readonly string[]): string | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      this.problems.push(`${name}='${redact(raw)}' is not a valid URL (expected ${protocols.join(' or ')}//...)`);
      return undefined;
    }
    if (!protocols.includes(url.protocol)) {
      this.problems.push(`${name}='${redact(raw)}' must use ${protocols.join(' or ')} (got ${url.protocol})`);
      return undefined;
    }
    return raw;
  }

  /** Comma-separated exact origins: scheme://host[:port], no path, no wildcard. */
  origins(name: string): string[] {
    const raw = this.string(name);
    if (raw === undefined) return [];
    const origins: string[] = [];
    for (const item of raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0)) {
      let origin: string | undefined;
      try {
        const url = new URL(item);
        if ((url.protocol === 'http:' || url.protocol === 'https:') && url.origin === item.replace(/\/$/, '')) {
          origin = url.origin;
        }
      } catch {
        origin = undefined;
      }
      if (origin === undefined) {
        this.problems.push(
          `${name} entry '${item}' must be an exact origin like https://app.example.com (scheme://host[:port], no path, no wildcard)`,
        );
      } else {
        origins.push(origin);
      }
    }
    return origins;
  }
}

/** Keeps credentials embedded in URLs (redis://:password@host) out of error messages. */
function redact(raw: string): string {
  return raw.replace(/\/\/[^@/]*@/, '//***@');
}
