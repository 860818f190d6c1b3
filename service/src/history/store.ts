/**
 * The bounded per-topic history behind resumable subscriptions: what every store answers, and the in-memory
 * ring used without Redis (one instance). The Redis Stream store is in redis-stream.ts.
 *
 * The window of a topic: its last `maxEvents` events, kept while the topic had an event within `ttlMs`; a
 * topic idle longer than that loses its history (and epoch). Reading after a position is complete only if
 * nothing after that position was dropped from the window and the epoch is the same.
 */
import { randomBytes } from 'node:crypto';
import { compareIds, formatPosition, parseId, type Position } from './position';

export interface HistoryLimits {
  /** Events kept per topic; 0 turns history (and positions) off. */
  readonly maxEvents: number;
  /** A topic's history is dropped this long after its last event, in ms. */
  readonly ttlMs: number;
}

/** Why a resume could not be complete. */
export type NotRecoveredReason =
  /** The position is from another history (Redis flushed or failed over, topic expired, service restarted). */
  | 'epoch'
  /** Events after the position were already dropped from the window. */
  | 'window'
  /** The history could not be read (Redis unavailable). */
  | 'unavailable'
  /** History is off, or the subscription does not read a topic with history. */
  | 'no-history';

/** The outcome of a resume, sent to the client as the subscription's first result. */
export type Recovery =
  | { readonly recovered: true; readonly replayed: number }
  | { readonly recovered: false; readonly reason: NotRecoveredReason };

export interface HistoryEntry<V> {
  readonly position: string;
  readonly id: Pick<Position, 'ms' | 'seq'>;
  readonly payload: V;
}

export type ReadResult<V> =
  | { readonly complete: true; readonly entries: readonly HistoryEntry<V>[] }
  | { readonly complete: false; readonly reason: 'epoch' | 'window' };

/** A fresh epoch: 64 random bits, base64url (11 characters). */
export function newEpoch(): string {
  return randomBytes(8).toString('base64url');
}

interface Ring<V> {
  readonly epoch: string;
  readonly entries: HistoryEntry<V>[];
  /** Sequence number of the last event appended (ids are `0-<seq>`). */
  last: number;
  /** Highest sequence number dropped from the window (0: none). */
  maxDropped: number;
  lastAt: number;
}

/** In-memory history: a ring per topic. Synchronous, so a publish and its append cannot interleave. */
export class MemoryHistory<V> {
  /** Ordered by last append (re-inserted on each), so expired topics are found at the front. */
  private readonly rings = new Map<string, Ring<V>>();

  constructor(
    private readonly limits: HistoryLimits,
    private readonly now: () => number = Date.now,
  ) {}

  append(topic: string, payload: V): HistoryEntry<V> {
    const now = this.now();
    this.evictExpired(now);
    let ring = this.rings.get(topic);
    if (ring === undefined) ring = { epoch: newEpoch(), entries: [], last: 0, maxDropped: 0, lastAt: now };
    this.rings.delete(topic);
    this.rings.set(topic, ring);
    ring.last += 1;
    ring.lastAt = now;
    const id = `0-${ring.last}`;
    const entry: HistoryEntry<V> = { position: formatPosition(ring.epoch, id), id: parseId(id), payload };
    ring.entries.push(entry);
    while (ring.entries.length > this.limits.maxEvents) {
      ring.entries.shift();
      ring.maxDropped = ring.last - ring.entries.length;
    }
    return entry;
  }

  readAfter(topic: string, after: Position): ReadResult<V> {
    this.evictExpired(this.now());
    const ring = this.rings.get(topic);
    if (ring === undefined || ring.epoch !== after.epoch) return { complete: false, reason: 'epoch' };
    if (compareIds(after, { ms: 0n, seq: BigInt(ring.maxDropped) }) < 0) return { complete: false, reason: 'window' };
    return { complete: true, entries: entriesAfter(ring.entries, after) };
  }

  /** Topics with a history (for tests and stats). */
  get topics(): number {
    return this.rings.size;
  }

  private evictExpired(now: number): void {
    for (const [topic, ring] of this.rings) {
      if (ring.lastAt + this.limits.ttlMs > now) break;
      this.rings.delete(topic);
    }
  }
}

/** A copy of the entries (in id order) after `after`, by binary search: resumes come in bursts (storms). */
export function entriesAfter<V>(entries: readonly HistoryEntry<V>[], after: Position): readonly HistoryEntry<V>[] {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compareIds((entries[mid] as HistoryEntry<V>).id, after) <= 0) low = mid + 1;
    else high = mid;
  }
  return entries.slice(low);
}
