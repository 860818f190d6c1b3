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
 */
import { setMaxListeners } from 'node:events';
import { GraphQLError } from 'graphql';
import Redis, { type RedisOptions } from 'ioredis';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import type { RedisConfig } from './config';
import { errorFields, type Logger } from './logger';

/** routingKey -> [id, payload]: `publish('messagePosted', room, message)`, `subscribe('messagePosted', room)`. */
export type TopicMap = Record<string, [id: string, payload: unknown]>;

export interface PubSubStatus {
  readonly backend: 'memory' | 'redis';
  /** Memory: always true. Redis: both the publish and the subscribe connection are ready. */
  readonly ready: boolean;
}

export interface PubSub<T extends TopicMap> {
  /** Resolves once the event is handed to every local subscriber (memory) or accepted by Redis. */
  publish<K extends keyof T & string>(routingKey: K, id: T[K][0], payload: T[K][1]): Promise<void>;
  /** Events for one id, in order. Ends with SubscriptionOverflowError when the consumer falls behind. */
  subscribe<K extends keyof T & string>(routingKey: K, id: T[K][0]): AsyncIterableIterator<T[K][1]>;
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
  readonly logger: Logger;
}

interface EventSource {
  addEventListener(topic: string, listener: (event: Event) => void): void;
  removeEventListener(topic: string, listener: (event: Event) => void): void;
}

export function createTopicPubSub<T extends TopicMap>(options: PubSubOptions): PubSub<T> {
  const { maxQueuedEvents } = options;
  const topicOf = (routingKey: string, id: string) => `${routingKey}:${id}`;
  const counts = new Map<string, number>();
  const subscriberCount = (routingKey: string, id: string) => counts.get(topicOf(routingKey, id)) ?? 0;

  if (options.redis === undefined) {
    const target = new EventTarget();
    // One listener per subscription on a topic is expected; Node would warn past 10.
    setMaxListeners(0, target);
    return {
      async publish(routingKey, id, payload) {
        target.dispatchEvent(new CustomEvent(topicOf(routingKey, id), { detail: payload }));
      },
      subscribe: (routingKey, id) => new TopicSubscription(target, topicOf(routingKey, id), maxQueuedEvents, counts),
      status: () => ({ backend: 'memory', ready: true }),
      subscriberCount,
      close: async () => undefined,
    };
  }

  const redisLogger = options.logger.child({ component: 'redis' });
  const redis = connectRedis(options.redis, redisLogger);
  const target = createRedisEventTarget({
    publishClient: redis.publisher,
    subscribeClient: redis.subscriber,
    // The event target parses inside ioredis's message handler: a throw there (anyone who can PUBLISH to
    // the channel sends garbage) would be an uncaught exception. Unparseable messages are logged and dropped.
    serializer: {
      stringify: JSON.stringify,
      parse(message: string): unknown {
        try {
          return JSON.parse(message);
        } catch (err) {
          redisLogger.warn('redis.bad_message', { bytes: message.length, ...errorFields(err) });
          return UNPARSEABLE;
        }
      },
    },
  });
  return {
    async publish(routingKey, id, payload) {
      if (redis.publisher.status !== 'ready') throw new PubSubUnavailableError(`connection ${redis.publisher.status}`);
      try {
        // Same wire format as the event target's dispatchEvent (JSON), but awaited.
        await redis.publisher.publish(topicOf(routingKey, id), JSON.stringify(payload));
      } catch (err) {
        throw new PubSubUnavailableError(err instanceof Error ? err.message : String(err));
      }
    },
    subscribe: (routingKey, id) =>
      new TopicSubscription(target as EventSource, topicOf(routingKey, id), maxQueuedEvents, counts),
    subscriberCount,
    status: () => ({
      backend: 'redis',
      ready: redis.publisher.status === 'ready' && redis.subscriber.status === 'ready',
    }),
    close: () => redis.close(),
  };
}

/**
 * One subscription to one topic: an async iterator over a bounded FIFO queue. The listener is registered
 * on creation and removed by return()/throw() (graphql-js calls return() when the client unsubscribes).
 */
class TopicSubscription<V> implements AsyncIterableIterator<V> {
  private queue: V[] = [];
  /** A consumer blocked in next(); only exists while the queue is empty, so overflow never has one. */
  private waiting: ((result: IteratorResult<V>) => void) | undefined;
  private failure: Error | undefined;
  private finished = false;
  // Bound once per subscription: the Redis event target calls listeners unbound.
  private readonly listener = (event: Event) => {
    const detail = (event as CustomEvent<V | typeof UNPARSEABLE>).detail;
    if (detail !== UNPARSEABLE) this.push(detail);
  };

  constructor(
    private readonly source: EventSource,
    private readonly topic: string,
    private readonly limit: number,
    private readonly counts: Map<string, number>,
  ) {
    source.addEventListener(topic, this.listener);
    counts.set(topic, (counts.get(topic) ?? 0) + 1);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<V> {
    return this;
  }

  next(): Promise<IteratorResult<V>> {
    if (this.queue.length > 0) return Promise.resolve({ value: this.queue.shift() as V, done: false });
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
    this.queue = [];
    this.failure = undefined;
    this.settle({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(err?: unknown): Promise<IteratorResult<V>> {
    this.finish();
    this.queue = [];
    this.settle({ value: undefined, done: true });
    return Promise.reject(err);
  }

  private push(value: V): void {
    if (this.finished) return;
    if (this.waiting !== undefined) {
      this.settle({ value, done: false });
    } else if (this.queue.length >= this.limit) {
      // Drop the backlog: the consumer must resubscribe (and re-fetch state) anyway.
      this.finish();
      this.queue = [];
      this.failure = new SubscriptionOverflowError(this.limit);
    } else {
      this.queue.push(value);
    }
  }

  private settle(result: IteratorResult<V>): void {
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

interface RedisPair {
  readonly publisher: Redis;
  readonly subscriber: Redis;
  close(): Promise<void>;
}

function connectRedis(config: RedisConfig, logger: Logger): RedisPair {
  const base: RedisOptions = {
    ...(config.authToken !== undefined ? { password: config.authToken } : {}),
    ...(config.tls ? { tls: {} } : {}),
    connectTimeout: 5_000,
    // Reconnect forever, at most every 2 s: Redis coming back must bring delivery back by itself.
    retryStrategy: (times: number) => Math.min(200 * times, 2_000),
  };
  const publisher = new Redis(config.url, {
    ...base,
    connectionName: 'graphql-publisher',
    // Fail mutations fast while Redis is away instead of queueing them for later (or forever).
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 2_000,
  });
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

  return {
    publisher,
    subscriber,
    async close() {
      await Promise.all([quit(publisher), quit(subscriber)]);
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
