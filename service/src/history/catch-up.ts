/**
 * Live catch-up: the events a subscription would miss while this instance's Redis subscriber connection is
 * away (Redis restart, failover, network blip) and its sockets stay open, delivered from the history once
 * the connection is back, or, when the history cannot cover the gap, a notice to every subscription.
 *
 * It stands between the Redis event target and the subscriptions: one listener per topic on the target,
 * the subscriptions' listeners behind it, and per topic the position of the last event it dispatched.
 * When the subscriber connection closes, every topic's live dispatch is held; when it is ready again, each
 * topic with local subscribers is caught up on its own:
 * 1. its channel is confirmed subscribed (SUBSCRIBE's reply), so every event published from then on
 *    arrives live (and is held);
 * 2. the history after the remembered position is read, once for all the topic's local subscribers;
 * 3. the missed events are dispatched to the listeners in order, then the held live events, dropping those
 *    of the same epoch not above the last one dispatched, and so are live events arriving later until the
 *    first one above it (a message published before the read may still be on its way: the seam rule of a
 *    resume, see pubsub.ts).
 * When the history cannot cover the gap (epoch: Redis lost its data; window: more was missed than it keeps,
 * or than can be held meanwhile; unavailable: it could not be read in time), the listeners get a notice
 * instead of the missed events, then the held and later live events. Each subscription hands the notice
 * to its operation's cursor, so its client gets one result with only `extensions.recovery` at that point
 * of its stream (history/plugin.ts); a shared group's execution is one subscription, so each member gets
 * the group's notice once.
 *
 * A topic with no event dispatched yet reads after where its history stood when it got its first listener:
 * once its channel is confirmed subscribed, the history's head (epoch and count) is looked up, then SUBSCRIBE
 * is confirmed once more, so every event counted in the head has been dispatched live by then (replies on
 * the subscriber connection come in order) and every later one is live or in the history after the head.
 * A topic without any history then reads its whole history at catch-up, if one appeared meanwhile: complete
 * if it still starts at its first event. A topic whose head could not be recorded before the connection
 * dropped (or that got its first listener while it was away) has no position: its subscriptions are told
 * not recovered (unavailable), then get the held events.
 */
import { createCatchUpCounters, type CatchUpCounters } from '../counters';
import type { Logger } from '../logger';
import { errorFields } from '../logger';
import { compareIds, formatPosition, parsePosition, tryParsePosition, type Position } from './position';
import type { HistoryHead } from './redis-stream';
import type { HistoryEntry, ReadResult, Recovery } from './store';
import { withTimeout } from '../timeout';

type Listener = (event: Event) => void;

/** What the subscriptions register with (the Redis event target's interface). */
export interface LiveSource {
  addEventListener(topic: string, listener: Listener): void;
  removeEventListener(topic: string, listener: Listener): void;
}

/** The subscriber connection (ioredis), as far as the catch-up watches it. */
export interface SubscriberConnection {
  on(event: 'close' | 'ready', listener: () => void): unknown;
}

/** The detail of a live event as the subscriptions read it; `notice` marks lost events. */
export interface LiveDetail {
  readonly position: string | undefined;
  readonly payload: unknown;
  readonly notice?: Recovery;
  /**
   * Dispatched by a catch-up's release, all at once: missed events, held ones and the notice. A subscription
   * queues them beyond its bound (which is for live events its consumer falls behind on), as a resume's replay.
   */
  readonly batch?: true;
}

export interface CatchUpOptions {
  /** Resolves once the topic's channel is subscribed on the subscriber connection. */
  confirm(topic: string): Promise<void>;
  /** Reads the topic's history after a position. */
  read(topic: string, after: Position): Promise<ReadResult<unknown>>;
  /** Where the topic's history stands now (undefined: it has none), on the connection `read` uses. */
  head(topic: string): Promise<HistoryHead | undefined>;
  /** Live events held per topic while it catches up; one more and the topic is told not recovered (window). */
  readonly maxHeld: number;
  readonly logger: Logger;
  /**
   * How long a topic's catch-up may take (confirm and read, the read retried while the connection it uses
   * is not back yet) before its subscriptions are told not recovered (unavailable).
   * @default 5_000
   */
  readonly timeoutMs?: number;
}

type Outcome =
  | { readonly kind: 'caught-up'; readonly replayed: number }
  | { readonly kind: 'not-recovered'; readonly reason: 'epoch' | 'window' | 'unavailable' }
  /** The connection dropped again or the topic lost its subscribers meanwhile: nothing applied. */
  | { readonly kind: 'stale' };

interface TopicState {
  readonly listeners: Set<Listener>;
  readonly forward: Listener;
  /**
   * Position of the last event dispatched to the listeners, or, before the first one, of the history's head
   * when the topic got its first listener.
   */
  last: string | undefined;
  /** No event dispatched yet and the topic had no history when it got its first listener. */
  fromStart: boolean;
  /** Live events held while the subscriber connection is away or the topic catches up. */
  held: Event[] | undefined;
  /** After a catch-up: live events up to this position (same epoch) were dispatched already. */
  skipUpTo: Position | undefined;
}

const DEFAULT_TIMEOUT_MS = 5_000;
/** Pause between history reads while the connection they use is not back yet. */
const RETRY_MS = 100;
/** Longest pause between attempts to record a topic's history head. */
const MAX_HEAD_RETRY_MS = 2_000;

export class LiveCatchUp implements LiveSource {
  readonly counters: CatchUpCounters = createCatchUpCounters();
  private readonly topics = new Map<string, TopicState>();
  private down = false;
  /** Bumped on every close: a catch-up begun on an earlier connection applies nothing. */
  private generation = 0;
  /** Set by close(): no more lookups, reads or catch-ups. */
  private closed = false;
  private readonly logger: Logger;
  private readonly timeoutMs: number;

  constructor(
    private readonly source: LiveSource,
    connection: SubscriberConnection,
    private readonly options: CatchUpOptions,
  ) {
    this.logger = options.logger;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    connection.on('close', () => this.suspend());
    connection.on('ready', () => {
      if (this.down && !this.closed) void this.catchUpAll();
    });
  }

  addEventListener(topic: string, listener: Listener): void {
    let state = this.topics.get(topic);
    if (state === undefined) {
      const created: TopicState = {
        listeners: new Set(),
        forward: (event) => this.onLive(topic, created, event),
        last: undefined,
        fromStart: false,
        held: this.down ? [] : undefined,
        skipUpTo: undefined,
      };
      state = created;
      this.topics.set(topic, state);
      this.source.addEventListener(topic, state.forward);
      void this.recordHead(topic, created);
    }
    state.listeners.add(listener);
  }

  removeEventListener(topic: string, listener: Listener): void {
    const state = this.topics.get(topic);
    if (state === undefined || !state.listeners.delete(listener) || state.listeners.size > 0) return;
    this.topics.delete(topic);
    this.source.removeEventListener(topic, state.forward);
  }

  /**
   * Records where the topic's history stands, for a catch-up before its first event (see the file comment).
   * Retried while the connections are away or a catch-up holds the topic; done once an event was dispatched.
   */
  private async recordHead(topic: string, state: TopicState): Promise<void> {
    for (let attempt = 1; !this.closed && this.topics.get(topic) === state && state.last === undefined; attempt++) {
      const generation = this.generation;
      try {
        // Timed out: a reply lost with its connection must not stall the recording for good.
        await withTimeout(this.options.confirm(topic), this.timeoutMs);
        const head = await withTimeout(this.options.head(topic), this.timeoutMs);
        // Checked right before SUBSCRIBE is sent: an UNSUBSCRIBE for a topic removed later comes after it.
        if (this.topics.get(topic) !== state) return;
        await withTimeout(this.options.confirm(topic), this.timeoutMs);
        if (generation === this.generation && state.held === undefined) {
          if (state.last !== undefined || this.topics.get(topic) !== state) return;
          if (head !== undefined) state.last = formatPosition(head.epoch, `0-${head.appended}`);
          else state.fromStart = true;
          return;
        }
      } catch (err) {
        if (attempt === 1) this.logger.warn('pubsub.head_failed', { topic, ...errorFields(err) });
      }
      // Unref'd: a connection closed for good (shutdown) must not keep the process alive.
      await new Promise((resolve) => setTimeout(resolve, Math.min(RETRY_MS * attempt, MAX_HEAD_RETRY_MS)).unref());
    }
  }

  /** Stops every lookup and catch-up in progress (they apply nothing); called when the pub/sub closes. */
  close(): void {
    this.closed = true;
    this.generation++;
  }

  private suspend(): void {
    this.down = true;
    this.generation++;
    for (const state of this.topics.values()) state.held ??= [];
  }

  private onLive(topic: string, state: TopicState, event: Event): void {
    if (state.held === undefined) {
      if (state.skipUpTo !== undefined && this.skipped(state, state.skipUpTo, event)) return;
      this.dispatch(state, event);
    } else if (state.held.length < this.options.maxHeld) {
      state.held.push(event);
    } else {
      // More arrived during the catch-up than can be held: give up on the gap rather than on the topic.
      this.count(topic, state, { kind: 'not-recovered', reason: 'window' });
      this.release(state, [], { recovered: false, reason: 'window' });
      this.dispatch(state, event);
    }
  }

  private async catchUpAll(): Promise<void> {
    this.down = false;
    const generation = this.generation;
    const started = Date.now();
    const held = [...this.topics].filter(([, state]) => state.held !== undefined);
    const outcomes = await Promise.all(held.map(([topic, state]) => this.catchUp(topic, state, generation)));
    let caughtUp = 0;
    let replayed = 0;
    const notRecovered = { epoch: 0, window: 0, unavailable: 0 };
    for (const [i, outcome] of outcomes.entries()) {
      const [topic, state] = held[i] as [string, TopicState];
      this.count(topic, state, outcome);
      if (outcome.kind === 'caught-up') {
        caughtUp++;
        replayed += outcome.replayed;
      } else if (outcome.kind === 'not-recovered') {
        notRecovered[outcome.reason]++;
      }
    }
    this.logger.info('pubsub.catch_up', {
      topics: held.length,
      caughtUp,
      replayed,
      notRecovered,
      stale: generation !== this.generation,
      ms: Date.now() - started,
    });
  }

  private async catchUp(topic: string, state: TopicState, generation: number): Promise<Outcome> {
    const deadline = Date.now() + this.timeoutMs;
    let entries: readonly HistoryEntry<unknown>[] = [];
    let lost: 'epoch' | 'window' | 'unavailable' | undefined;
    try {
      await withTimeout(this.options.confirm(topic), this.timeoutMs);
      const read = this.readFor(topic, state);
      if (read === undefined) {
        // No position to read after (its head was not recorded before the connection dropped): whatever
        // was published meanwhile cannot be found, so the subscriptions are told.
        lost = 'unavailable';
      } else {
        const result = await this.readUntil(read, deadline, generation);
        if (result.complete) entries = result.entries;
        else lost = result.reason;
      }
    } catch (err) {
      if (generation === this.generation) this.logger.warn('pubsub.catch_up_failed', { topic, ...errorFields(err) });
      lost = 'unavailable';
    }
    if (generation !== this.generation || this.topics.get(topic) !== state || state.held === undefined) {
      return { kind: 'stale' };
    }
    this.release(state, entries, lost !== undefined ? { recovered: false, reason: lost } : undefined);
    return lost === undefined
      ? { kind: 'caught-up', replayed: entries.length }
      : { kind: 'not-recovered', reason: lost };
  }

  /** What the topic missed: the history after its position, or all of it from its first event; undefined: unknown. */
  private readFor(topic: string, state: TopicState): (() => Promise<ReadResult<unknown>>) | undefined {
    const last = state.last;
    if (last !== undefined) return () => this.options.read(topic, parsePosition(last));
    if (!state.fromStart) return undefined;
    return async () => {
      const head = await this.options.head(topic);
      if (head === undefined) return { complete: true, entries: [] };
      // Read in the epoch found: if it is lost before the read, its events are, and the read says `epoch`.
      return this.options.read(topic, parsePosition(formatPosition(head.epoch, '0-0')));
    };
  }

  /** Reads the history; the connection reads use may come back after the subscriber: retried until the deadline. */
  private async readUntil(
    read: () => Promise<ReadResult<unknown>>,
    deadline: number,
    generation: number,
  ): Promise<ReadResult<unknown>> {
    for (;;) {
      try {
        return await withTimeout(read(), Math.max(deadline - Date.now(), 1));
      } catch (err) {
        if (Date.now() + RETRY_MS >= deadline || generation !== this.generation) throw err;
        // Unref'd, as every timer here: a connection closed for good (shutdown) must not keep the process alive.
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS).unref());
      }
    }
  }

  /** Dispatches the notice or the missed events, then the held events not already dispatched; live again. */
  private release(state: TopicState, entries: readonly HistoryEntry<unknown>[], notice: Recovery | undefined): void {
    const held = state.held ?? [];
    state.held = undefined;
    if (notice !== undefined) {
      this.dispatch(state, liveEvent({ position: undefined, payload: undefined, notice, batch: true }));
    }
    for (const entry of entries) {
      this.dispatch(state, liveEvent({ position: entry.position, payload: entry.payload, batch: true }));
    }
    state.skipUpTo = tryParsePosition(state.last);
    for (const event of held) {
      if (state.skipUpTo !== undefined && this.skipped(state, state.skipUpTo, event)) continue;
      this.dispatch(state, inBatch(event));
    }
  }

  /** True for an event dispatched already; the first newer one (pub/sub is ordered) ends the check. */
  private skipped(state: TopicState, upTo: Position, event: Event): boolean {
    if (notAbove(event, upTo)) return true;
    state.skipUpTo = undefined;
    return false;
  }

  private dispatch(state: TopicState, event: Event): void {
    const position = (event as CustomEvent<Partial<LiveDetail> | null>).detail?.position;
    // Only a position that parses is one to read after (a stray PUBLISH can carry anything).
    if (tryParsePosition(position) !== undefined) state.last = position as string;
    for (const listener of state.listeners) listener(event);
  }

  private count(topic: string, state: TopicState, outcome: Outcome): void {
    if (outcome.kind === 'caught-up') {
      this.counters.topicsCaughtUp++;
      this.counters.eventsReplayed += outcome.replayed;
    } else if (outcome.kind === 'not-recovered') {
      this.counters.notRecovered[outcome.reason]++;
      this.logger.warn('pubsub.catch_up_not_recovered', {
        topic,
        reason: outcome.reason,
        subscriptions: state.listeners.size,
      });
    }
  }
}

function liveEvent(detail: LiveDetail): Event {
  return new CustomEvent('live', { detail });
}

/** A held live event, marked as part of the release; an unparseable one (not an object) stays as it is. */
function inBatch(event: Event): Event {
  const detail = (event as CustomEvent<unknown>).detail;
  if (typeof detail !== 'object' || detail === null) return event;
  return liveEvent({ ...(detail as LiveDetail), batch: true });
}

/** True for a held event of the same epoch at or before `upTo`: it was dispatched already. */
function notAbove(event: Event, upTo: Position): boolean {
  const parsed = tryParsePosition((event as CustomEvent<Partial<LiveDetail> | null>).detail?.position);
  if (parsed === undefined) return false;
  return parsed.epoch === upTo.epoch && compareIds(parsed, upTo) <= 0;
}
