/**
 * How often each defence against a misbehaving client fired, since the process started. Read by `/ready`
 * (its `counters` field) and App.counters(), next to the connection counts; each event is also logged.
 */
export interface DefenceCounters {
  /** WebSockets closed with 4403 because their token expired. */
  tokenExpiredWebSocket: number;
  /** SSE streams ended because their token expired. */
  tokenExpiredSse: number;
  /** SSE streams ended because the client stopped reading (a write pending for a keepalive interval). */
  sseWriteTimeouts: number;
  /** WebSocket operations refused for their variables (per-operation or per-socket budget). */
  variablesRefused: number;
  /** TCP connections closed at accept because MAX_HTTP_CONNECTIONS were open. */
  httpConnectionsDropped: number;
}

export function createDefenceCounters(): DefenceCounters {
  return {
    tokenExpiredWebSocket: 0,
    tokenExpiredSse: 0,
    sseWriteTimeouts: 0,
    variablesRefused: 0,
    httpConnectionsDropped: 0,
  };
}

/**
 * Live catch-ups after the Redis subscriber connection came back (history/catch-up.ts), since the process
 * started. Read by `/ready` (its `pubsub.catchUp` field) and `pubsub.status()`; each round is also logged.
 */
export interface CatchUpCounters {
  /** Topics whose missed events were read from the history and delivered (or that had missed none). */
  topicsCaughtUp: number;
  /** Events delivered from the history by those catch-ups. */
  eventsReplayed: number;
  /** Topics whose subscriptions were told `recovered: false`, by reason. */
  notRecovered: { epoch: number; window: number; unavailable: number };
}

export function createCatchUpCounters(): CatchUpCounters {
  return { topicsCaughtUp: 0, eventsReplayed: 0, notRecovered: { epoch: 0, window: 0, unavailable: 0 } };
}
