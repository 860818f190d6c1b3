/**
 * Connection bookkeeping shared by the WebSocket and SSE adapters: who is open (for the per-task cap and
 * Query.serverInfo), ONE keepalive timer that sweeps every connection, and draining in jittered batches.
 * No per-connection timers or closures live here; a connection is an entry in a Set.
 */
import type { Logger } from '../logger';

/** What the registry needs from an open connection (a WebSocket or an SSE stream). */
export interface TrackedConnection {
  readonly kind: 'ws' | 'sse';
  /**
   * Called once per sweep. Returns false when the peer is dead (the connection then terminated itself).
   * WebSocket: terminates if no pong since the last sweep, else pings. SSE: writes a keepalive comment.
   */
  keepalive(): boolean;
  /** Drain: close politely (WebSocket 1012, SSE end of stream). */
  closeForRestart(): void;
  /** Hard stop: close now, skipping the window. */
  terminate(): void;
}

export interface DrainProgress {
  readonly total: number;
  readonly batches: number;
  readonly intervalMs: number;
}

/** Drain batches are at least this far apart; small windows mean fewer, bigger batches. */
const MIN_BATCH_INTERVAL_MS = 100;

export class ConnectionRegistry {
  private readonly open = new Set<TrackedConnection>();
  private wsCount = 0;
  private sweepTimer: NodeJS.Timeout | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  private emptyWaiters: Array<() => void> = [];
  /** Set at drain start: adapters refuse new connections with 503. */
  draining = false;

  constructor(private readonly logger: Logger) {}

  get size(): number {
    return this.open.size;
  }

  counts(): { webSocket: number; sse: number; total: number } {
    return { webSocket: this.wsCount, sse: this.open.size - this.wsCount, total: this.open.size };
  }

  add(connection: TrackedConnection): void {
    this.open.add(connection);
    if (connection.kind === 'ws') this.wsCount++;
  }

  remove(connection: TrackedConnection): void {
    if (!this.open.delete(connection)) return;
    if (connection.kind === 'ws') this.wsCount--;
    if (this.open.size === 0 && this.emptyWaiters.length > 0) {
      const waiters = this.emptyWaiters;
      this.emptyWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** Starts the single keepalive timer. */
  startKeepalive(intervalMs: number): void {
    this.stopKeepalive();
    this.sweepTimer = setInterval(() => this.sweep(), intervalMs);
    this.sweepTimer.unref();
  }

  stopKeepalive(): void {
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  private sweep(): void {
    let dead = 0;
    // Copy: a dead connection removes itself from the set while we iterate.
    for (const connection of [...this.open]) {
      if (!connection.keepalive()) dead++;
    }
    if (dead > 0) this.logger.info('keepalive.terminated', { dead, open: this.open.size });
  }

  /**
   * Closes every open connection with closeForRestart(), in batches spread over `windowMs`: the order is
   * shuffled and the batches are evenly spaced, so reconnecting clients arrive at the other tasks as a
   * trickle, not a stampede. Resolves when all are closed, or `graceMs` after the last batch.
   */
  drainConnections(windowMs: number, graceMs: number): Promise<void> {
    const targets = shuffle([...this.open]);
    const total = targets.length;
    if (total === 0) return Promise.resolve();
    const batches = Math.max(1, Math.min(total, Math.floor(windowMs / MIN_BATCH_INTERVAL_MS)));
    const intervalMs = batches > 1 ? windowMs / batches : 0;
    const batchSize = Math.ceil(total / batches);
    this.logger.info('drain.connections', {
      total,
      batches,
      intervalMs: Math.round(intervalMs),
    } satisfies DrainProgress);

    return new Promise<void>((resolve) => {
      let batch = 0;
      const finish = () => {
        clearTimeout(this.drainTimer);
        this.drainTimer = undefined;
        resolve();
      };
      this.emptyWaiters.push(finish);
      const closeNextBatch = () => {
        const slice = targets.slice(batch * batchSize, (batch + 1) * batchSize);
        batch++;
        for (const connection of slice) {
          if (this.open.has(connection)) connection.closeForRestart();
        }
        this.logger.info('drain.batch', { batch, batches, closed: slice.length, open: this.open.size });
        if (batch < batches) {
          this.drainTimer = setTimeout(closeNextBatch, intervalMs);
        } else {
          // Peers that never answer the close handshake must not hold the task past the stop timeout.
          this.drainTimer = setTimeout(() => {
            if (this.open.size > 0) this.logger.warn('drain.grace_expired', { terminated: this.open.size });
            this.terminateAll();
            finish();
          }, graceMs);
        }
      };
      closeNextBatch();
    });
  }

  /** Hard stop: terminates everything now. */
  terminateAll(): void {
    for (const connection of [...this.open]) connection.terminate();
  }

  /** Resolves when no connection is open, or after `timeoutMs`. */
  whenEmpty(timeoutMs: number): Promise<void> {
    if (this.open.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      timer.unref();
      this.emptyWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  dispose(): void {
    this.stopKeepalive();
    if (this.drainTimer !== undefined) clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
  }
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}
