/** A server under test, started inside the server process by bench/fanout/server-process.ts. */
export interface BenchServer {
  /** ws:// URL of the GraphQL endpoint on 127.0.0.1. */
  readonly url: string;
  /** Counters that show the server is in the mode it is labelled with (e.g. shared subscription groups). */
  info?(): Readonly<Record<string, number>>;
  /** Graceful shutdown as on SIGTERM, for servers that have one (our service). */
  drain?(): Promise<void>;
  stop(): Promise<void>;
}

/** Options every server receives from the orchestrator. */
export interface BenchServerOptions {
  /** redis:// URL for the servers that use Redis pub/sub. */
  readonly redisUrl?: string;
  /** DRAIN_WINDOW_MS for our service (the reconnect storm drains one instance over it). */
  readonly drainWindowMs?: number;
}
