/**
 * Typed pub/sub for the schema's subscriptions: in-memory (one instance) or Redis fan-out between tasks.
 *
 * Topics follow Yoga's `createPubSub` convention (`routingKey:id`) and the Redis side is Yoga's
 * `createRedisEventTarget`, but publish and subscribe are implemented here because Yoga's `createPubSub`
 * cannot be made safe for this service:
 * - each subscription is a Repeater that throws RepeaterOverflowError inside the event listener once 1024
 *   events wait unread, which becomes an uncaught exception (the process dies); its `repeaterBuffer`
 *   option is a single buffer instance shared by every subscription, so it cannot bound them one by one;
 * - the Redis event target's `dispatchEvent` drops the PUBLISH promise: while Redis is down a mutation
 *   would report success, and the rejection would be unhandled.
 * Here each subscription has its own bounded queue (overflow ends it with SUBSCRIPTION_OVERFLOW, the
 * transports close the consumer) and publish awaits Redis, failing fast with PubSubUnavailableError.
 *
 * History (resumable subscriptions, history/): with `history.maxEvents > 0` every event is appended to its
 * topic's bounded history and gets a position before it is delivered; publish resolves only once the event
 * is in the history. Live delivery stays on pub/sub (memory: the EventTarget; Redis: PUBLISH from the same
 * Lua script as the XADD) rather than XREAD BLOCK on the streams: one SUBSCRIBE per topic and instance, no
 * blocking connection per topic and no polling, while the script's atomicity gives every live message its
 * stream id in stream order. A resuming subscription closes the seam between history and live like this:
 * 1. its live listener is registered and the channel confirmed subscribed; live events are held;
 * 2. the history after the client's position is read (so it holds every event published before the read,
 *    and every event published after step 1 also arrives live: no gap);
 * 3. the replay is queued, then the held and later live events whose id is not above the last replayed one
 *    are dropped until the first one above it (pub/sub is ordered, so after that none can be a duplicate).
 * With Redis, steps 1 and 2 are shared by the resumes of a topic that arrive together (history/coalesce.ts:
 * one SUBSCRIBE and one read per batch, each member registered before its batch is sent), and reads go
 * through their own connection, so a reconnect storm neither floods Redis nor delays publishes.
 */
import { setMaxListeners } from 'node:events';
import { GraphQLError } from 'graphql';
import Redis, { type RedisOptions } from 'ioredis';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import type { RedisConfig } from './config';
import type { CatchUpCounters } from './counters';
import { LiveCatchUp } from './history/catch-up';
import { ResumeCoalescer } from './history/coalesce';
import type { EventCursor } from './history/cursor';
import { compareIds, parsePosition, type Position } from './history/position';
import { RedisHistory, splitPositioned } from './history/redis-stream';
import { MemoryHistory, type HistoryLimits, type ReadResult, type Recovery } from './history/store';
import { errorFields, type Logger } from './logger';
import { withTimeout } from './timeout';

/** routingKey -> [id, payload]: `publish('messagePosted', room, message)`, `subscribe('messagePosted', room)`. */
export type TopicMap = Record<string, [id: string, payload: unknown]>;

export interface PubSubStatus {
  readonly backend: 'memory' | 'redis';
  /** Memory: always true. Redis: the publish, subscribe and (with history) history-read connections are ready. */
  readonly ready: boolean;
  /** Redis with history: catch-ups after the subscriber connection came back (history/catch-up.ts). */
  readonly catchUp?: Readonly<CatchUpCounters>;
}

export interface PubSub<T extends TopicMap> {
  /** Resolves once the event is handed to every local subscriber (memory) or accepted by Redis. */
  publish<K extends keyof T & string>(routingKey: K, id: T[K][0], payload: T[K][1]): Promise<void>;
  /**
   * Events for one id, in order. Ends with SubscriptionOverflowError when the consumer falls behind. With a
   * cursor, the position of each event is recorded on it as the event is taken, and a cursor holding a
   * resume position gets the history after it first (outcome in `cursor.recovery`).
   */
  subscribe<K extends keyof T & string>(
    routingKey: K,
    id: T[K][0],
    cursor?: EventCursor,
  ): AsyncIterableIterator<T[K][1]>;
  /** The same pub/sub, whose subscriptions use this operation's cursor (what an operation's context gets). */
  forOperation(cursor: EventCursor): PubSub<T>;
  status(): PubSubStatus;
  /** Live local subscriptions (pub/sub listeners) of one topic on this instance. */
  subscriberCount<K extends keyof T & string>(routingKey: K, id: T[K][0]): number;
  /** Disconnects from Redis (no-op in memory). */
  close(): Promise<void>;
}

export const SUBSCRIPTION_OVERFLOW = 'SUBSCRIPTION_OVERFLOW';

/** What the Redis serializer returns for a message that is not JSON: subscribers never see it. */
const UNPARSEABLE: unique symbol = Symbol('unparseable Redis message');
export const PUBSUB_UNAVAILABLE = 'PUBSUB_UNAVAILABLE';

/** A GraphQLError so error masking keeps its message and code in production. */
export class SubscriptionOverflowError extends GraphQLError {
  constructor(limit: number) {
    super(`Subscription fell too far behind (more than ${limit} undelivered events); resubscribe`, {
      extensions: { code: SUBSCRIPTION_OVERFLOW },
    });
  }
}

export class PubSubUnavailableError extends GraphQLError {
  constructor(detail: string) {
    super(`Message could not be published: pub/sub (Redis) is unavailable (${detail}); retry later`, {
      extensions: { code: PUBSUB_UNAVAILABLE, http: { status: 503 } },
    });
  }
}

export interface PubSubOptions {
  /** Unset: in-memory. */
  readonly redis?: RedisConfig;
  /** Bound of each subscription's queue of undelivered events. */
  readonly maxQueuedEvents: number;
  /** Per-topic history; unset or maxEvents 0: no history, no positions. */
  readonly history?: HistoryLimits;
  readonly logger: Logger;
}

/**
 * An event as queued for a subscriber: the payload and its position (undefined without history), or a
 * notice that live events were lost at this point (see history/catch-up.ts).
 */
interface Delivery<V> {
  readonly position: string | undefined;
  readonly payload: V;
  readonly notice?: Recovery;
  /** Part of a catch-up or resume batch: queued beyond the bound, which is for live events only. */
  readonly batch?: true;
}

/**
 * How long a batch of resumes waits for each Redis reply (SUBSCRIBE confirmed, then the history read) before
 * its members go live unrecovered.
 */
const RESUME_TIMEOUT_MS = 2_000;
/** How long a publish waits for Redis before it fails with PUBSUB_UNAVAILABLE. */
const PUBLISH_TIMEOUT_MS = 2_000;

interface EventSource {
  addEventListener(topic: string, listener: (event: Event) => void): void;
  removeEventListener(topic: string, listener: (event: Event) => void): void;
}

export function createTopicPubSub<T extends TopicMap>(options: PubSubOptions): PubSub<T> {
  const { maxQueuedEvents } = options;
  const topicOf = (routingKey: string, id: string) => `${routingKey}:${id}`;
  const counts = new Map<string, number>();
  const subscriberCount = (routingKey: string, id: string) => counts.get(topicOf(routingKey, id)) ?? 0;

  const historyLimits = options.history !== undefined && options.history.maxEvents > 0 ? options.history : undefined;
  const withView = (pubsub: Omit<PubSub<T>, 'forOperation'>): PubSub<T> => {
    const full: PubSub<T> = {
      ...pubsub,
      forOperation: (cursor) => ({ ...full, subscribe: (routingKey, id) => pubsub.subscribe(routingKey, id, cursor) }),
    };
    return full;
  };

  if (options.redis === undefined) {
    const target = new EventTarget();
    // One listener per subscription on a topic is expected; Node would warn past 10.
    setMaxListeners(0, target);
    const history = historyLimits !== undefined ? new MemoryHistory<unknown>(historyLimits) : undefined;
    return withView({
      async publish(routingKey, id, payload) {
        const topic = topicOf(routingKey, id);
        // Append and dispatch in one synchronous step: no subscriber can read the history in between.
        const position = history?.append(topic, payload).position;
        target.dispatchEvent(new CustomEvent(topic, { detail: { position, payload } }));
      },
      subscribe: (routingKey, id, cursor) =>
        // No batching in memory: the live listener needs no confirmation, and a read is a synchronous scan.
        // It runs a microtask later, as any backend's would: events published meanwhile are replayed and held.
        subscribeTopic(target, topicOf(routingKey, id), maxQueuedEvents, counts, cursor, {
          read:
            history !== undefined
              ? (topic, after) => Promise.resolve().then(() => history.readAfter(topic, after))
              : undefined,
        }),
      status: () => ({ backend: 'memory', ready: true }),
      subscriberCount,
      close: async () => undefined,
    });
  }

  const redisLogger = options.logger.child({ component: 'redis' });
  const redis = connectRedis(options.redis, redisLogger, historyLimits !== undefined);
  const target = createRedisEventTarget({
    publishClient: redis.publisher,
    subscribeClient: redis.subscriber,
    // The event target parses inside ioredis's message handler: a throw there (anyone who can PUBLISH to
    // the channel sends garbage) would be an uncaught exception. Unparseable messages are logged and dropped.
    serializer: {
      stringify: JSON.stringify,
      parse(message: string): Delivery<unknown> | typeof UNPARSEABLE {
        try {
          const positioned = splitPositioned(message);
          if (positioned !== undefined) return { position: positioned.position, payload: JSON.parse(positioned.json) };
          return { position: undefined, payload: JSON.parse(message) };
        } catch (err) {
          redisLogger.warn('redis.bad_message', { bytes: message.length, ...errorFields(err) });
          return UNPARSEABLE;
        }
      },
    },
  });
  const history =
    historyLimits !== undefined && redis.history !== undefined
      ? new RedisHistory(redis.publisher, redis.history, historyLimits)
      : undefined;
  const resumes =
    history !== undefined
      ? new ResumeCoalescer<unknown>(async (topic, afters) => {
          // Every member left before the batch was sent (a socket closed right after resuming): the event
          // target has sent its UNSUBSCRIBE already, and a SUBSCRIBE now would leave the channel subscribed
          // with no listener (restored by every reconnect).
          if (!counts.has(topic)) throw new Error('no subscription of the topic is left');
          // SUBSCRIBE is idempotent; its reply proves the channel is live for every member (step 1 above).
          await withTimeout(redis.subscriber.subscribe(topic), RESUME_TIMEOUT_MS);
          return withTimeout(history.readBatch(topic, afters), RESUME_TIMEOUT_MS);
        })
      : undefined;
  // With history, live events pass through the catch-up, which fills the gap of a subscriber reconnect.
  const live =
    history !== undefined
      ? new LiveCatchUp(target as EventSource, redis.subscriber, {
          confirm: async (topic) => {
            await redis.subscriber.subscribe(topic);
          },
          read: (topic, after) => history.readAfter(topic, after),
          head: (topic) => history.head(topic),
          maxHeld: maxQueuedEvents,
          logger: options.logger.child({ component: 'catch-up' }),
        })
      : undefined;
  return withView({
    async publish(routingKey, id, payload) {
      if (redis.publisher.status !== 'ready') throw new PubSubUnavailableError(`connection ${redis.publisher.status}`);
      const topic = topicOf(routingKey, id);
      try {
        // With history: XADD + PUBLISH in one script, so success means the event is in the history.
        // Without: the event target's wire format (JSON), but awaited.
        await withTimeout<unknown>(
          history !== undefined
            ? history.append(topic, JSON.stringify(payload))
            : redis.publisher.publish(topic, JSON.stringify(payload)),
          PUBLISH_TIMEOUT_MS,
        );
      } catch (err) {
        throw new PubSubUnavailableError(err instanceof Error ? err.message : String(err));
      }
    },
    subscribe: (routingKey, id, cursor) =>
      subscribeTopic(live ?? (target as EventSource), topicOf(routingKey, id), maxQueuedEvents, counts, cursor, {
        read: resumes !== undefined ? (topic, after) => resumes.read(topic, after) : undefined,
      }),
    subscriberCount,
    status: () => ({
      backend: 'redis',
      ready: [redis.publisher, redis.subscriber, redis.history].every((c) => c === undefined || c.status === 'ready'),
      ...(live !== undefined ? { catchUp: { ...live.counters, notRecovered: { ...live.counters.notRecovered } } } : {}),
    }),
    close: () => {
      live?.close();
      return redis.close();
    },
  });
}

/** What a resuming subscription needs from the backend. */
interface ResumeBackend<V> {
  /**
   * The history after `after`, read once live events of the topic reach the listener already registered
   * (steps 1 and 2 above); rejects when that fails or takes too long. Undefined without history.
   */
  read: ((topic: string, after: Position) => Promise<ReadResult<V>>) | undefined;
}

function subscribeTopic<V>(
  source: EventSource,
  topic: string,
  limit: number,
  counts: Map<string, number>,
  cursor: EventCursor | undefined,
  backend: ResumeBackend<V>,
): TopicSubscription<V> {
  // Throws InvalidPositionError for a malformed position: the resolver's error, before anything is registered.
  const after = cursor?.claimResume();
  const subscription = new TopicSubscription<V>(source, topic, limit, counts, cursor);
  if (cursor !== undefined && after !== undefined) {
    cursor.recovery = subscription.resume(after, backend);
  }
  return subscription;
}

/**
 * One subscription to one topic: an async iterator over a bounded FIFO queue. The listener is registered
 * on creation and removed by return()/throw() (graphql-js calls return() when the client unsubscribes).
 */
class TopicSubscription<V> implements AsyncIterableIterator<V> {
  private queue: Delivery<V>[] = [];
  /** A consumer blocked in next(); only exists while the queue is empty, so overflow never has one. */
  private waiting: ((result: IteratorResult<V> | Promise<IteratorResult<V>>) => void) | undefined;
  private failure: Error | undefined;
  private finished = false;
  /**
   * Deliveries of a batch (a resume's replay, a catch-up's release) in the queue and in `held`: they do not
   * count against the limit (a batch is bounded by the history size plus the catch-up's hold, and arrives
   * at once), so a subscription that is caught up is not overflowed by it.
   */
  private batchQueued = 0;
  private batchHeld = 0;
  /** Live events held while a resume reads the history. */
  private held: Delivery<V>[] | undefined;
  /** After a resume: live events up to this id (same epoch) were replayed already. */
  private replayedUpTo: Position | undefined;
  // Bound once per subscription: the Redis event target calls listeners unbound.
  private readonly listener = (event: Event) => {
    const detail = (event as CustomEvent<Delivery<V> | typeof UNPARSEABLE>).detail;
    if (detail !== UNPARSEABLE) this.push(detail);
  };

  constructor(
    private readonly source: EventSource,
    private readonly topic: string,
    private readonly limit: number,
    private readonly counts: Map<string, number>,
    private readonly cursor: EventCursor | undefined,
  ) {
    source.addEventListener(topic, this.listener);
    counts.set(topic, (counts.get(topic) ?? 0) + 1);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<V> {
    return this;
  }

  /** Queues the history after `after`, then live events, without gap or duplicate (see the file comment). */
  async resume(after: Position, backend: ResumeBackend<V>): Promise<Recovery> {
    const read = backend.read;
    if (read === undefined) return { recovered: false, reason: 'no-history' };
    this.held = [];
    let recovery: Recovery;
    try {
      const result = await read(this.topic, after);
      if (result.complete) {
        const entries = result.entries;
        this.queue = entries.map((entry) => ({ position: entry.position, payload: entry.payload, batch: true }));
        this.batchQueued = entries.length;
        const last = entries[entries.length - 1];
        this.replayedUpTo = last !== undefined ? { ...after, ms: last.id.ms, seq: last.id.seq } : after;
        recovery = { recovered: true, replayed: entries.length };
      } else {
        recovery = { recovered: false, reason: result.reason };
      }
    } catch {
      recovery = { recovered: false, reason: 'unavailable' };
    }
    const held = this.held;
    this.held = undefined;
    this.batchHeld = 0;
    if (this.finished) {
      this.dropQueue();
      return recovery;
    }
    for (const delivery of held) this.push(delivery);
    if (this.waiting !== undefined) {
      const taken = this.take();
      if (taken !== undefined) this.settle(taken);
    }
    return recovery;
  }

  next(): Promise<IteratorResult<V>> {
    const taken = this.held === undefined ? this.take() : undefined;
    if (taken !== undefined) return Promise.resolve(taken);
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      return Promise.reject(failure);
    }
    if (this.finished) return Promise.resolve({ value: undefined, done: true });
    return new Promise<IteratorResult<V>>((resolve) => {
      this.waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<V>> {
    this.finish();
    this.dropQueue();
    this.failure = undefined;
    this.settle({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(err?: unknown): Promise<IteratorResult<V>> {
    this.finish();
    this.dropQueue();
    this.settle({ value: undefined, done: true });
    return Promise.reject(err);
  }

  /** The next queued event, after handing the notices queued before it to the cursor (in-stream order). */
  private take(): IteratorResult<V> | undefined {
    let delivery = this.shift();
    while (delivery?.notice !== undefined) {
      this.cursor?.notify(delivery.notice);
      delivery = this.shift();
    }
    if (delivery === undefined) return undefined;
    if (this.cursor !== undefined) this.cursor.position = delivery.position;
    return { value: delivery.payload, done: false };
  }

  private dropQueue(): void {
    this.queue = [];
    this.batchQueued = 0;
  }

  private shift(): Delivery<V> | undefined {
    const delivery = this.queue.shift();
    if (delivery?.batch === true) this.batchQueued--;
    return delivery;
  }

  private push(delivery: Delivery<V>): void {
    if (this.finished) return;
    const batch = delivery.batch === true;
    if (this.held !== undefined) {
      if (!batch && this.held.length - this.batchHeld >= this.limit) {
        this.overflow();
      } else {
        this.held.push(delivery);
        if (batch) this.batchHeld++;
      }
      return;
    }
    if (this.replayedUpTo !== undefined && this.alreadyReplayed(delivery, this.replayedUpTo)) return;
    if (this.waiting !== undefined && delivery.notice !== undefined) {
      this.cursor?.notify(delivery.notice);
    } else if (this.waiting !== undefined) {
      if (this.cursor !== undefined) this.cursor.position = delivery.position;
      this.settle({ value: delivery.payload, done: false });
    } else if (!batch && this.queue.length - this.batchQueued >= this.limit) {
      this.overflow();
    } else {
      this.queue.push(delivery);
      if (batch) this.batchQueued++;
    }
  }

  /** True for a live event the replay already delivered; the first newer one ends the check for good. */
  private alreadyReplayed(delivery: Delivery<V>, upTo: Position): boolean {
    if (delivery.position === undefined) return false;
    let position: Position;
    try {
      position = parsePosition(delivery.position);
    } catch {
      return false;
    }
    if (position.epoch === upTo.epoch && compareIds(position, upTo) <= 0) return true;
    this.replayedUpTo = undefined;
    return false;
  }

  /** Drop the backlog: the consumer must resubscribe (and re-fetch state) anyway. */
  private overflow(): void {
    this.finish();
    this.dropQueue();
    this.held = undefined;
    this.batchHeld = 0;
    const failure = new SubscriptionOverflowError(this.limit);
    // A consumer can be waiting only while a resume holds events (otherwise the queue is empty).
    if (this.waiting !== undefined) this.settle(Promise.reject(failure));
    else this.failure = failure;
  }

  private settle(result: IteratorResult<V> | Promise<IteratorResult<V>>): void {
    const resolve = this.waiting;
    this.waiting = undefined;
    resolve?.(result);
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.source.removeEventListener(this.topic, this.listener);
    const left = (this.counts.get(this.topic) ?? 1) - 1;
    if (left > 0) this.counts.set(this.topic, left);
    else this.counts.delete(this.topic);
  }
}

interface RedisConnections {
  readonly publisher: Redis;
  readonly subscriber: Redis;
  /** History reads (resumes, catch-ups), with history on: a storm of them must not queue ahead of publishes. */
  readonly history: Redis | undefined;
  close(): Promise<void>;
}

function connectRedis(config: RedisConfig, logger: Logger, withHistory: boolean): RedisConnections {
  const base: RedisOptions = {
    ...(config.authToken !== undefined ? { password: config.authToken } : {}),
    ...(config.tls ? { tls: {} } : {}),
    connectTimeout: 5_000,
    // Reconnect forever, at most every 2 s: Redis coming back must bring delivery back by itself.
    retryStrategy: (times: number) => Math.min(200 * times, 2_000),
  };
  // Fail fast while Redis is away instead of queueing for later (or forever): mutations, and resume reads
  // (their subscriptions go live unrecovered). A Redis that does not answer is timed out by the callers
  // (withTimeout), not by ioredis' commandTimeout, which also fails replies held up by a busy event loop.
  const failFast: RedisOptions = {
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
  };
  const publisher = new Redis(config.url, { ...base, ...failFast, connectionName: 'graphql-publisher' });
  const history = withHistory
    ? new Redis(config.url, { ...base, ...failFast, connectionName: 'graphql-history' })
    : undefined;
  const subscriber = new Redis(config.url, {
    ...base,
    connectionName: 'graphql-subscriber',
    // SUBSCRIBE commands issued while down wait for the reconnect; autoResubscribe restores the rest.
    enableOfflineQueue: true,
    autoResubscribe: true,
    maxRetriesPerRequest: null,
  });
  guardFireAndForget(subscriber, logger);
  watchConnection(publisher, 'publisher', logger);
  watchConnection(subscriber, 'subscriber', logger);
  if (history !== undefined) watchConnection(history, 'history', logger);

  return {
    publisher,
    subscriber,
    history,
    async close() {
      await Promise.all([quit(publisher), quit(subscriber), ...(history !== undefined ? [quit(history)] : [])]);
    },
  };
}

/**
 * createRedisEventTarget calls subscribe/unsubscribe without handling the promise; if Redis is gone at
 * shutdown those reject. Attaching a handler keeps them from becoming unhandled rejections.
 */
function guardFireAndForget(client: Redis, logger: Logger): void {
  for (const method of ['subscribe', 'unsubscribe'] as const) {
    const original = (client[method] as (...args: unknown[]) => Promise<unknown>).bind(client);
    (client as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      const pending = original(...args);
      pending.catch((err: unknown) => logger.warn('redis.command_failed', { command: method, ...errorFields(err) }));
      return pending;
    };
  }
}

/** Logs state transitions once (not every reconnect attempt's error). */
function watchConnection(client: Redis, role: string, logger: Logger): void {
  let up = false;
  let lastError = '';
  client.on('ready', () => {
    up = true;
    lastError = '';
    logger.info('redis.ready', { role });
  });
  client.on('error', (err: Error) => {
    if (err.message !== lastError) logger.warn('redis.error', { role, ...errorFields(err) });
    lastError = err.message;
  });
  client.on('close', () => {
    if (up) logger.warn('redis.down', { role });
    up = false;
  });
}

async function quit(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  const timer = setTimeout(() => client.disconnect(), 2_000);
  try {
    await client.quit();
  } catch {
    client.disconnect();
  } finally {
    clearTimeout(timer);
  }
}
