/**
 * A throwaway redis-server on a free loopback port for the fan-out run with Redis pub/sub: the tests'
 * launcher (no persistence, killed with the bench even on SIGKILL), plus the bench's time limit.
 */
import { startRedis as startRedisServer } from '../../testkit/redis';

export interface RedisHandle {
  readonly url: string;
  stop(): Promise<void>;
}

export async function startRedis(maxMs: number): Promise<RedisHandle> {
  const server = await startRedisServer();
  const timer = setTimeout(() => void server.stop('SIGKILL'), maxMs);
  timer.unref();
  return {
    url: server.url,
    async stop() {
      clearTimeout(timer);
      await server.stop();
    },
  };
}
