/**
 * Entry of a server process: `node --expose-gc server-process.js <kind>`. Starts one server under
 * test on 127.0.0.1, reports its URL and baseline memory over IPC, then answers the orchestrator's
 * memory and CPU questions until told to stop. It exits when the orchestrator goes away.
 */
import type { BenchServer, BenchServerOptions } from './servers/types';
import type * as GraphqlWsPeer from './servers/graphql-ws-peer';
import type * as OurService from './servers/our-service';
import type * as RawWs from './servers/raw-ws';
import {
  type FromServer,
  type MemorySnapshot,
  REDIS_KINDS,
  SERVER_KINDS,
  type ServerKind,
  type ToServer,
} from './protocol';

function send(message: FromServer): void {
  process.send?.(message);
}

async function start(kind: ServerKind, options: BenchServerOptions): Promise<BenchServer> {
  // Required lazily so that each process loads only the server it runs (its baseline memory stays its own).
  switch (kind) {
    case 'raw':
    case 'raw-batched':
      return (require('./servers/raw-ws') as typeof RawWs).startRawWs({
        batched: kind === 'raw-batched',
      });
    case 'peer':
      return (require('./servers/graphql-ws-peer') as typeof GraphqlWsPeer).startGraphqlWsPeer();
    case 'ours':
    case 'ours-per-connection':
    case 'ours-history-off':
    case 'ours-redis':
    case 'ours-redis-history-off':
      return (require('./servers/our-service') as typeof OurService).startOurService({
        ...(REDIS_KINDS.includes(kind) ? { redisUrl: options.redisUrl } : {}),
        ...(options.drainWindowMs !== undefined ? { drainWindowMs: options.drainWindowMs } : {}),
        sharedSubscriptions: kind !== 'ours-per-connection',
        ...(kind === 'ours-history-off' || kind === 'ours-redis-history-off' ? { historyMaxEvents: 0 } : {}),
      });
  }
}

/** Heap and RSS after two full collections, so that only live objects are counted. */
async function measureMemory(): Promise<MemorySnapshot> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('server process must run with --expose-gc');
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  const { heapUsed, rss, external } = process.memoryUsage();
  return { heapUsed, rss, external };
}

async function main(): Promise<void> {
  const kind = process.argv[2];
  if (!(SERVER_KINDS as readonly string[]).includes(kind)) {
    throw new Error(`unknown server kind '${kind}' (expected one of ${SERVER_KINDS.join(', ')})`);
  }
  const redisUrl = process.env.BENCH_REDIS_URL;
  if (REDIS_KINDS.includes(kind as ServerKind) && !redisUrl)
    throw new Error(`server kind '${kind}' needs BENCH_REDIS_URL`);
  const drainWindowMs = process.env.BENCH_DRAIN_WINDOW_MS ? Number(process.env.BENCH_DRAIN_WINDOW_MS) : undefined;

  const server = await start(kind as ServerKind, {
    ...(redisUrl ? { redisUrl } : {}),
    ...(drainWindowMs !== undefined ? { drainWindowMs } : {}),
  });
  send({ type: 'listening', url: server.url, baseline: await measureMemory() });

  process.on('message', (message: ToServer) => {
    void (async () => {
      switch (message.type) {
        case 'memory':
          send({ type: 'memory', snapshot: await measureMemory(), info: server.info?.() ?? {} });
          return;
        case 'cpu': {
          const { user, system } = process.cpuUsage();
          send({ type: 'cpu', cpuMicros: user + system, wallMicros: Number(process.hrtime.bigint() / 1000n) });
          return;
        }
        case 'clock':
          send({ type: 'clock', micros: Number(process.hrtime.bigint() / 1000n) });
          return;
        case 'drain':
          if (!server.drain) throw new Error(`server kind '${kind}' cannot drain`);
          await server.drain();
          send({ type: 'drained' });
          return;
        case 'stop':
          // A clean exit, so that --cpu-prof writes its profile.
          await Promise.race([server.stop(), new Promise((resolve) => setTimeout(resolve, 5_000))]);
          process.exit(0);
      }
    })().catch((error: unknown) => send({ type: 'failed', error: String(error) }));
  });
  process.on('SIGTERM', () => process.exit(0));
}

// Never outlive the orchestrator.
process.on('disconnect', () => process.exit(0));

main().catch((error: unknown) => {
  send({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100);
});
