/**
 * (c), (c0) and (d): our service, built with the same factory as service/src/main.ts, configured through
 * the same environment contract (loadConfig), in production mode with in-memory or Redis pub/sub; (c0)
 * with SHARED_SUBSCRIPTIONS=false (one execution per socket per event, frames written one by one); (cH0) and
 * (dH0) with HISTORY_MAX_EVENTS=0.
 */
import { buildApp } from '../../../service/src/app';
import { loadConfig } from '../../../service/src/config';
import { ENV } from '../../../service/src/container-contract';
import type { BenchServer, BenchServerOptions } from './types';

export interface OurServiceOptions extends BenchServerOptions {
  /** SHARED_SUBSCRIPTIONS: subscription de-duplication (the service's default, true). */
  readonly sharedSubscriptions: boolean;
  /** HISTORY_MAX_EVENTS: 0 turns history and positions off. @default - the service's default */
  readonly historyMaxEvents?: number;
}

export async function startOurService(options: OurServiceOptions): Promise<BenchServer> {
  const config = loadConfig({
    [ENV.port]: '0',
    [ENV.host]: '127.0.0.1',
    [ENV.nodeEnv]: 'production',
    // Per-connection lines at info (and Redis quitting at stop, a warning) are not what is measured.
    [ENV.logLevel]: 'error',
    // The default (10,000) would refuse the 10k subscribers plus the publisher.
    [ENV.maxConnections]: '20000',
    // The bench's one publisher socket posts K mutations back to back; the default (50 operations in
    // flight per socket) would refuse part of a burst. Subscribers hold one operation each either way.
    [ENV.maxSubscriptionsPerSocket]: '1000',
    [ENV.sharedSubscriptions]: String(options.sharedSubscriptions),
    ...(options.redisUrl !== undefined ? { [ENV.redisUrl]: options.redisUrl } : {}),
    ...(options.historyMaxEvents !== undefined ? { [ENV.historyMaxEvents]: String(options.historyMaxEvents) } : {}),
    ...(options.drainWindowMs !== undefined ? { [ENV.drainWindowMs]: String(options.drainWindowMs) } : {}),
  });
  const app = buildApp(config);
  const started = await app.start();
  if (options.redisUrl !== undefined) await waitReady(() => app.readiness().ready, 10_000);
  return {
    url: started.wsUrl,
    info: () => {
      const { groups, members } = app.sharedSubscriptions();
      return { sharedGroups: groups, sharedMembers: members };
    },
    drain: () => app.drain('bench'),
    stop: () => app.stop(),
  };
}

/** With Redis, publishing before both connections are up would fail the first posts. */
async function waitReady(ready: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`our service was not ready (Redis connections) within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
