/**
 * The reconnect storm: two instances of our service on one Redis, `drained` subscribers on the first and
 * `survivors` on the second, a steady publisher; the first is drained (1012 over its drain window) and every
 * subscriber it held reconnects to the second. Run with history on (resume from the last position) and off,
 * each with fresh server and load-generator processes, all killed when the run ends.
 */
import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { exited, forkTracked, nextMessage, sleep, stopChild } from '../lib/children';
import type { FromServer, ServerKind, ToServer } from '../fanout/protocol';
import type { FromStormLoadgen, StormConfig, StormResult, ToStormLoadgen } from './protocol';

export interface StormOptions {
  readonly benchDist: string;
  readonly redisUrl: string;
  readonly drained: number;
  readonly survivors: number;
  readonly connectConcurrency: number;
}

export interface StormRecord extends Omit<StormResult, 'type'> {
  readonly history: 'on' | 'off';
  readonly drainWindowMs: number;
  readonly backoffBaseMs: number;
}

/** Short, so the reconnects arrive as a storm (the service's default spreads them over 10 s or more). */
const DRAIN_WINDOW_MS = 2_000;
/** The recommended client's first retry: full jitter under 500 ms. */
const BACKOFF_BASE_MS = 500;
const POSTS_PER_SECOND = 20;
const STORM_TIMEOUT_MS = 60_000;

function answer<T>(child: ChildProcess, label: string, timeoutMs: number, accept: (m: unknown) => T | undefined) {
  return nextMessage(child, label, timeoutMs, (m) => {
    const typed = m as { type: string; error?: string };
    if (typed.type === 'failed') return { failed: typed.error ?? 'failed' } as const;
    const value = accept(m);
    return value === undefined ? undefined : ({ value } as const);
  }).then((r) => {
    if ('failed' in r) throw new Error(`${label} failed: ${r.failed}`);
    return r.value;
  });
}

async function stopServer(server: ChildProcess): Promise<void> {
  if (server.connected) server.send({ type: 'stop' } satisfies ToServer, () => undefined);
  await Promise.race([exited(server), sleep(10_000)]);
  await stopChild(server, 2_000);
}

export async function runStorm(history: 'on' | 'off', options: StormOptions): Promise<StormRecord> {
  const kind: ServerKind = history === 'on' ? 'ours-redis' : 'ours-redis-history-off';
  const budgetMs = 5 * 60_000;
  const servers = ['drained', 'survivor'].map((role) =>
    forkTracked(`storm ${role} (${kind})`, path.join(options.benchDist, 'fanout/server-process.js'), [kind], {
      execArgv: ['--expose-gc'],
      env: {
        BENCH_REDIS_URL: options.redisUrl,
        BENCH_DRAIN_WINDOW_MS: String(DRAIN_WINDOW_MS),
        NODE_ENV: 'production',
      },
      maxMs: budgetMs,
    }),
  );
  const [drainedServer, survivorServer] = servers as [ChildProcess, ChildProcess];
  let loadgen: ChildProcess | undefined;
  try {
    const [drainedUrl, survivorUrl] = await Promise.all(
      servers.map((s, i) =>
        answer(s, `storm server ${i}`, 30_000, (m) =>
          (m as FromServer).type === 'listening' ? (m as { url: string }).url : undefined,
        ),
      ),
    );
    loadgen = forkTracked(
      `storm load generator (${kind})`,
      path.join(options.benchDist, 'storm/storm-loadgen.js'),
      [],
      {
        maxMs: budgetMs,
      },
    );
    const config: StormConfig = {
      drainedUrl,
      survivorUrl,
      drained: options.drained,
      survivors: options.survivors,
      postsPerSecond: POSTS_PER_SECOND,
      backoffBaseMs: BACKOFF_BASE_MS,
      resume: history === 'on',
      baselineMs: 3_000,
      connectConcurrency: options.connectConcurrency,
      connectTimeoutMs: 90_000,
      stormTimeoutMs: STORM_TIMEOUT_MS,
    };
    const ready = answer(loadgen, 'storm load generator', 120_000, (m) =>
      (m as FromStormLoadgen).type === 'ready' ? m : undefined,
    );
    loadgen.send({ type: 'start', config } satisfies ToStormLoadgen);
    await ready;
    const result = answer(loadgen, 'storm load generator', STORM_TIMEOUT_MS + 30_000, (m) =>
      (m as FromStormLoadgen).type === 'result' ? (m as StormResult) : undefined,
    );
    loadgen.send({ type: 'storm' } satisfies ToStormLoadgen);
    drainedServer.send({ type: 'drain' } satisfies ToServer);
    const { type: _type, ...r } = await result;
    return { history, drainWindowMs: DRAIN_WINDOW_MS, backoffBaseMs: BACKOFF_BASE_MS, ...r };
  } finally {
    if (loadgen) {
      if (loadgen.connected) loadgen.send({ type: 'close' } satisfies ToStormLoadgen, () => undefined);
      await Promise.race([exited(loadgen), sleep(3_000)]);
      await stopChild(loadgen, 2_000);
    }
    await Promise.all([stopServer(drainedServer), stopServer(survivorServer)]);
  }
}
