/**
 * Two service instances sharing one real redis-server, with the event history on (200 events) and no drain
 * window: the setting of the resume and catch-up tests, where events published on one instance reach
 * subscribers of the other. `record` subscribes a recorded graphql-ws client to a room on one of them;
 * `stop` disposes those clients, then the instances, then Redis.
 */
import { startTestApp, type TestApp } from './app';
import { recordRoom, type RecordedRoom, type RecordedWsClient } from './clients';
import { startRedis, type RedisServer } from './redis';
import { waitFor } from './wait';

export interface TwoInstances {
  readonly redis: RedisServer;
  readonly a: TestApp;
  readonly b: TestApp;
  /** recordRoom on `app`, disposed by stop(). */
  record(app: TestApp, room: string, options?: Parameters<typeof recordRoom>[2]): RecordedRoom;
  stop(): Promise<void>;
}

export async function startTwoInstances(): Promise<TwoInstances> {
  const redis = await startRedis();
  const env = { REDIS_URL: redis.url, HISTORY_MAX_EVENTS: '200', DRAIN_WINDOW_MS: '0' };
  const [a, b] = await Promise.all([startTestApp({ env }), startTestApp({ env })]);
  await waitFor('ready', () => a.app.pubsub.status().ready && b.app.pubsub.status().ready);
  const clients: RecordedWsClient[] = [];
  return {
    redis,
    a,
    b,
    record(app, room, options) {
      const recorded = recordRoom(app.wsUrl, room, options);
      clients.push(recorded.client);
      return recorded;
    },
    async stop() {
      await Promise.all(clients.map((c) => c.dispose()));
      await Promise.all([a.stop(), b.stop()]);
      await redis.stop();
    },
  };
}
