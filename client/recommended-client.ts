/**
 * The graphql-ws client configuration we recommend to app teams talking to the service through the ALB.
 *
 * Why each setting (the load balancer is where WebSocket deployments break):
 * - Unbounded retries: a rolling deploy closes every socket of a draining task with 1012, an ALB idle cut
 *   or a network change gives 1006; none of these is the app's fault, so the client must never give up.
 *   graphql-ws' default (5 attempts, network errors fatal) gives up during an ordinary outage.
 * - Full-jitter exponential backoff: when a task drains, hundreds of clients reconnect at once; a random
 *   delay in [0, min(cap, base * 2^n)] spreads them so the survivors are not stampeded.
 * - Client keepalive with a pong timeout: a socket whose peer vanished (NAT timeout, sleeping laptop)
 *   looks open forever; pinging and terminating when no pong comes in time turns it into a reconnect.
 *   The pings also count as traffic for the ALB idle timeout.
 * - connectionParams as a function: it is called on every (re)connect, so a refreshed token is sent
 *   after a drain instead of the one that was valid when the page loaded.
 * - Token expiry: the service closes a socket with 4403 "Token expired: ..." when the token it was opened
 *   with expires (exp plus the configured clock tolerance). That close is retried like any other (graphql-ws
 *   calls `shouldRetry` for 4403; only 4400, 4401, 4406, 4409, 4429, 4500 and 1xxx protocol errors are
 *   fatal), so the client reconnects at once with what connectionParams returns then: a fresh token. Make
 *   sure connectionParams refreshes an expired token rather than returning the cached one, or the
 *   reconnect is refused with 4403 again (and retried with backoff until it succeeds).
 * - Resumable subscriptions: the service puts each event's position in the result's
 *   `extensions.position`. `subscribe` remembers the last one per subscription and, when graphql-ws
 *   resubscribes after a reconnect, sends it as `extensions.resumeFrom`; the service then replays what was
 *   missed. The service's recovery result (`extensions.recovery`, no data) goes to `onRecovery`, not to the
 *   app's sink, and events at or before the last position are dropped. Application code is unchanged.
 *
 * Only `graphql-ws` is imported: the same file runs in Node (pass `webSocketImpl`) and in a browser.
 */
import { createClient } from 'graphql-ws';
import type {
  Client,
  ClientOptions,
  ConnectionInitMessage,
  FormattedExecutionResult,
  Sink,
  SubscribePayload,
} from 'graphql-ws';

type ConnectionParams = NonNullable<ConnectionInitMessage['payload']>;

export interface BackoffOptions {
  /**
   * Upper bound of the first retry's delay, in milliseconds; doubles with every failed attempt.
   * @default 500
   */
  readonly baseMs?: number;
  /**
   * Largest delay between two attempts, in milliseconds.
   * @default 30000
   */
  readonly capMs?: number;
}

export interface RecommendedClientOptions {
  /** wss:// URL of the GraphQL endpoint, or a function called on every connect (e.g. to add a token). */
  readonly url: string | (() => string | Promise<string>);
  /**
   * Called on every connect and reconnect; its result is the connection_init payload. Put the current
   * token here (e.g. `async () => ({ authorization: \`Bearer ${await auth.freshToken()}\` })`).
   * @default - no payload
   */
  readonly connectionParams?: () => ConnectionParams | Promise<ConnectionParams>;
  /**
   * Interval of the client's pings, in milliseconds; 0 turns the client keepalive off (the server's
   * pings then are the only traffic on a quiet socket).
   * @default 10000
   */
  readonly keepAliveMs?: number;
  /**
   * How long to wait for the pong to a client ping before the socket is terminated and reconnected,
   * in milliseconds. Only used when keepAliveMs > 0.
   * @default 5000
   */
  readonly pongTimeoutMs?: number;
  /**
   * Reconnect backoff.
   * @default - full jitter, base 500 ms, cap 30 s
   */
  readonly backoff?: BackoffOptions;
  /**
   * Connect at once and stay connected (false), or only while there are subscriptions (true).
   * @default false
   */
  readonly lazy?: boolean;
  /**
   * WebSocket constructor for Node (`import WebSocket from 'ws'`); browsers use the global one.
   * @default - globalThis.WebSocket
   */
  readonly webSocketImpl?: unknown;
  /**
   * Extra graphql-ws listeners; they run after the ones this configuration installs.
   * @default - none
   */
  readonly on?: ClientOptions['on'];
  /**
   * Called after every successful reconnect (not the first connect) with the running count.
   * @default - none
   */
  readonly onReconnect?: (reconnects: number) => void;
  /**
   * Called when the client gives up for good: only a fatal close (e.g. 4400 Bad Request, 4401) or an
   * internal error, since retries are unbounded (4403, token expired or refused, is retried).
   * @default console.error
   */
  readonly onFatal?: (errorOrCloseEvent: unknown) => void;
  /**
   * Called when a resubscription after a reconnect was answered: `recovered: true` means every missed
   * event is delivered, in order: `replayed` of them before live delivery resumed, and any that the serving
   * instance had not yet received as live events right after them; `false` means some may be lost
   * (`reason`: 'window' — away longer than the service keeps, 'epoch' — the service lost its history,
   * 'unavailable', 'no-history'), so refetch the state the subscription keeps up to date. Live events
   * continue either way.
   * @default - none
   */
  readonly onRecovery?: (outcome: RecoveryOutcome, payload: SubscribePayload) => void;
  /**
   * Random number source in [0, 1), for the backoff; tests pass a fixed one.
   * @default Math.random
   */
  readonly random?: () => number;
}

/** Connection counters of a recommended client, updated as events happen. */
export interface ClientStats {
  /** Successful connection acknowledgements, first connect included. */
  connects: number;
  /** Acknowledged connections that followed a lost one. */
  reconnects: number;
  /** Sockets terminated because a pong did not arrive within pongTimeoutMs. */
  pongTimeouts: number;
  /** Close codes seen, in order (1012 from a draining task, 1006 from a cut, 4499 after a pong timeout). */
  closeCodes: number[];
  /** Sockets the service closed because their token expired (4403 "Token expired"); each is retried. */
  tokenExpiries: number;
}

/** The service's answer to a resubscription with a position (see docs/resumable-subscriptions.md). */
export type RecoveryOutcome =
  { readonly recovered: true; readonly replayed: number } | { readonly recovered: false; readonly reason: string };

/** A graphql-ws Client plus its live connection counters. */
export interface RecommendedClient extends Client {
  readonly stats: Readonly<ClientStats>;
}

/** Start of the reason of the service's 4403 close when a socket's token expires. */
export const TOKEN_EXPIRED_REASON_PREFIX = 'Token expired';

/** True for the service's "your token expired" close (4403 with a Token expired reason). */
export function isTokenExpiredClose(event: unknown): boolean {
  if (closeCodeOf(event) !== 4403) return false;
  const reason = (event as { reason?: unknown }).reason;
  return typeof reason === 'string' && reason.startsWith(TOKEN_EXPIRED_REASON_PREFIX);
}

export const RECOMMENDED_DEFAULTS = {
  keepAliveMs: 10_000,
  pongTimeoutMs: 5_000,
  backoffBaseMs: 500,
  backoffCapMs: 30_000,
} as const;

function checkMs(prop: string, value: number, min: number): void {
  if (!Number.isFinite(value) || value < min) {
    throw new Error(`createRecommendedClient: '${prop}' must be a finite number >= ${min} ms (got ${value})`);
  }
}

/**
 * Full-jitter exponential backoff delay for the given retry (0 for the first retry after a loss):
 * uniform in [0, min(capMs, baseMs * 2^retries)).
 */
export function fullJitterDelayMs(
  retries: number,
  backoff: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const baseMs = backoff.baseMs ?? RECOMMENDED_DEFAULTS.backoffBaseMs;
  const capMs = backoff.capMs ?? RECOMMENDED_DEFAULTS.backoffCapMs;
  // 2^retries overflows to Infinity after ~1000 retries; min() keeps the cap.
  const ceiling = Math.min(capMs, baseMs * Math.pow(2, Math.max(0, retries)));
  return Math.floor(random() * ceiling);
}

function closeCodeOf(event: unknown): number | undefined {
  if (typeof event === 'object' && event !== null && 'code' in event) {
    const code = (event as { code: unknown }).code;
    return typeof code === 'number' ? code : undefined;
  }
  return undefined;
}

/** Creates a graphql-ws client with the recommended retry, backoff, keepalive and auth settings. */
export function createRecommendedClient(options: RecommendedClientOptions): RecommendedClient {
  const keepAliveMs = options.keepAliveMs ?? RECOMMENDED_DEFAULTS.keepAliveMs;
  const pongTimeoutMs = options.pongTimeoutMs ?? RECOMMENDED_DEFAULTS.pongTimeoutMs;
  const backoff = options.backoff ?? {};
  checkMs('keepAliveMs', keepAliveMs, 0);
  checkMs('pongTimeoutMs', pongTimeoutMs, 1);
  checkMs('backoff.baseMs', backoff.baseMs ?? RECOMMENDED_DEFAULTS.backoffBaseMs, 1);
  checkMs('backoff.capMs', backoff.capMs ?? RECOMMENDED_DEFAULTS.backoffCapMs, 1);
  if (typeof options.url !== 'function' && !/^wss?:\/\//.test(options.url)) {
    throw new Error(`createRecommendedClient: 'url' must start with wss:// or ws:// (got ${options.url})`);
  }

  const stats: ClientStats = { connects: 0, reconnects: 0, pongTimeouts: 0, closeCodes: [], tokenExpiries: 0 };
  const random = options.random ?? Math.random;
  let pongTimer: ReturnType<typeof setTimeout> | undefined;
  const clearPongTimer = () => {
    if (pongTimer !== undefined) clearTimeout(pongTimer);
    pongTimer = undefined;
  };
  const extra = options.on ?? {};

  const client: Client = createClient({
    url: options.url,
    ...(options.connectionParams !== undefined ? { connectionParams: options.connectionParams } : {}),
    lazy: options.lazy ?? false,
    keepAlive: keepAliveMs,
    retryAttempts: Infinity,
    // Network errors (connection refused, 502 on the upgrade while both targets restart) are retried too, and
    // so is 4403: after a token-expired close the reconnect calls connectionParams again for a fresh token.
    shouldRetry: () => true,
    retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, fullJitterDelayMs(retries, backoff, random))),
    ...(options.webSocketImpl !== undefined ? { webSocketImpl: options.webSocketImpl } : {}),
    onNonLazyError: options.onFatal ?? ((e) => console.error('graphql-ws client gave up', e)),
    on: {
      connected: (socket, payload, wasRetry) => {
        stats.connects += 1;
        if (wasRetry) {
          stats.reconnects += 1;
          options.onReconnect?.(stats.reconnects);
        }
        extra.connected?.(socket, payload, wasRetry);
      },
      ping: (received, payload) => {
        // Our own ping went out: the pong must come back in time or the socket is dead.
        if (!received && keepAliveMs > 0) {
          clearPongTimer();
          pongTimer = setTimeout(() => {
            pongTimer = undefined;
            stats.pongTimeouts += 1;
            // terminate() does not wait for a close handshake a dead peer never answers; it reconnects.
            client.terminate();
          }, pongTimeoutMs);
        }
        extra.ping?.(received, payload);
      },
      pong: (received, payload) => {
        if (received) clearPongTimer();
        extra.pong?.(received, payload);
      },
      closed: (event) => {
        clearPongTimer();
        const code = closeCodeOf(event);
        if (code !== undefined) stats.closeCodes.push(code);
        if (isTokenExpiredClose(event)) stats.tokenExpiries += 1;
        extra.closed?.(event);
      },
      connecting: (isRetry) => extra.connecting?.(isRetry),
      opened: (socket) => extra.opened?.(socket),
      message: (message) => extra.message?.(message),
      error: (error) => extra.error?.(error),
    },
  });

  const subscribe = client.subscribe.bind(client);
  const resumable: Client['subscribe'] = (payload, sink) =>
    subscribe(...resumableSubscription(payload, sink, options.onRecovery));
  return Object.assign(client, { stats, subscribe: resumable });
}

/** `1.<epoch>.<ms>-<seq>` (the service's position format); undefined for anything else. */
function parsePosition(value: unknown): { epoch: string; ms: bigint; seq: bigint } | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^1\.([A-Za-z0-9_-]{1,32})\.(\d{1,16})-(\d{1,16})$/.exec(value);
  return match === null ? undefined : { epoch: match[1] as string, ms: BigInt(match[2]), seq: BigInt(match[3]) };
}

/**
 * The payload graphql-ws (re)sends and the sink it delivers to, for one subscription. graphql-ws sends the
 * same payload object again on every resubscribe, so setting `extensions.resumeFrom` on it is enough.
 */
function resumableSubscription<Data, Extensions>(
  original: SubscribePayload,
  sink: Sink<FormattedExecutionResult<Data, Extensions>>,
  onRecovery: RecommendedClientOptions['onRecovery'],
): [SubscribePayload, Sink<FormattedExecutionResult<Data, Extensions>>] {
  const extensions: Record<string, unknown> = { ...(original.extensions ?? {}) };
  const payload: SubscribePayload = { ...original, extensions };
  let last: ReturnType<typeof parsePosition>;
  return [
    payload,
    {
      next(result) {
        const ext = result.extensions as { position?: unknown; recovery?: RecoveryOutcome } | undefined;
        if (ext?.recovery !== undefined && result.data === undefined && result.errors === undefined) {
          onRecovery?.(ext.recovery, original);
          return;
        }
        const position = parsePosition(ext?.position);
        if (position !== undefined) {
          // Defensive: an event at or before the last one seen (same history) was delivered already.
          const seen =
            last !== undefined &&
            last.epoch === position.epoch &&
            (position.ms < last.ms || (position.ms === last.ms && position.seq <= last.seq));
          if (seen) return;
          last = position;
          extensions['resumeFrom'] = ext?.position;
        }
        sink.next(result);
      },
      error: (error) => sink.error(error),
      complete: () => sink.complete(),
    },
  ];
}
