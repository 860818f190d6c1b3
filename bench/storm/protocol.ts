/**
 * What the reconnect-storm orchestrator (run-storm.ts) and its load generator (storm-loadgen.ts) agree on:
 * the configuration, the IPC messages and the result.
 */

/** The room of the storm: its own topic, so the fan-out runs' history in the same Redis is not read. */
export const STORM_ROOM = 'storm';
/** A published message's text: `s|<seq>|<sentAtMs>` (the load generator's performance.now()). */
export const STORM_PREFIX = 's|';

export interface StormConfig {
  /** ws:// URL of the instance that is drained. */
  readonly drainedUrl: string;
  /** ws:// URL of the instance that survives and takes the reconnects. */
  readonly survivorUrl: string;
  /** Subscribers on the drained instance: they all reconnect to the survivor. */
  readonly drained: number;
  /** The survivor's own subscribers, whose delivery latency is measured during the storm. */
  readonly survivors: number;
  /** Messages published per second, throughout, on the survivor. */
  readonly postsPerSecond: number;
  /**
   * Reconnect delay: uniform in [0, backoffBaseMs), the recommended client's first retry (full jitter).
   */
  readonly backoffBaseMs: number;
  /** Send the last position seen as `extensions.resumeFrom` on resubscribe (history on). */
  readonly resume: boolean;
  /** Steady state measured before the drain, for the survivor's baseline latency. */
  readonly baselineMs: number;
  readonly connectConcurrency: number;
  readonly connectTimeoutMs: number;
  /** The storm is over (and reported as incomplete) if not every drained client is caught up by then. */
  readonly stormTimeoutMs: number;
}

export interface StormResult {
  readonly type: 'result';
  readonly drained: number;
  readonly survivors: number;
  readonly resume: boolean;
  readonly postsPerSecond: number;
  /** Drained clients that were closed by the drain (1012) and caught up before the timeout. */
  readonly closedBy1012: number;
  readonly caughtUp: number;
  /** From the drain's start to the last drained client caught up. */
  readonly lastCaughtUpMs: number;
  /** Per drained client, from its 1012 to caught up. */
  readonly closeToCaughtUpMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /** Accepted messages a drained client never received (between its first message and its last). */
  readonly lost: number;
  /** Messages received twice or out of order, all clients. */
  readonly duplicated: number;
  readonly outOfOrder: number;
  readonly recovered: number;
  readonly notRecovered: number;
  readonly replayed: number;
  /** The survivor's own subscribers: delivery latency before the drain and during the storm. */
  readonly survivorBaseline: { readonly p50Ms: number; readonly p99Ms: number; readonly deliveries: number };
  readonly survivorStorm: { readonly p50Ms: number; readonly p99Ms: number; readonly deliveries: number };
  readonly survivorLost: number;
  /** Posts the service accepted, and refused (PUBSUB_UNAVAILABLE when Redis times out). */
  readonly published: number;
  readonly publishFailed: number;
  /** Reconnect attempts refused or failed (each retried with backoff). */
  readonly reconnectFailures: number;
  readonly errors: readonly string[];
}

export type ToStormLoadgen =
  | { readonly type: 'start'; readonly config: StormConfig }
  /** Sent when the drain starts: the storm is measured from here. */
  | { readonly type: 'storm' }
  | { readonly type: 'close' };

export type FromStormLoadgen =
  | { readonly type: 'ready'; readonly connectMs: number }
  | StormResult
  | { readonly type: 'failed'; readonly error: string };
