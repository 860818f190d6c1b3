/**
 * The whole production path on one machine: redis-server, N service instances (the real entry point,
 * service/src/main.ts, as child processes so SIGTERM drains them as ECS does), and nginx standing in for
 * the ALB in front of them, with TLS, the upgrade, X-Forwarded-*, round-robin, the 301 listener and the
 * idle timeout of the shared timing config.
 *
 * Everything binds 127.0.0.1 on free ports; `stop()` ends it all, and every child is also SIGKILLed when
 * the Node process exits. Process helpers are the service's shared test helpers (__tests__/support).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { ClientOptions as WsClientOptions } from 'ws';
import { createRecommendedClient, type RecommendedClient, type RecommendedClientOptions } from '../client';
import type { WebSocketTiming, WebSocketTimingProps } from '../constructs/timing';
import { POST_MESSAGE, type MessageFields as Message } from '../testkit/clients';
import { freePort } from '../testkit/ports';
import { ENV, PATHS } from '../service/src/container-contract';
import { startRedis, type RedisServer } from '../testkit/redis';
import { spawnService, type LogLine, type ServiceProcess } from '../testkit/service-process';
import { writeBrowserPage, type PageConfig } from './browser';
import { postGraphql, sendHttp, type HttpResponse } from './http';
import { startNginx, type NginxProxy } from './nginx';
import { e2eTiming, timingEnvironment } from './timing';

/** nginx connects to the instances from this loopback address: their peer is never the client's. */
export const PROXY_BIND_ADDRESS = '127.0.0.2';

// The operations and message shape the tests use, from the shared harness.
export { MESSAGE_POSTED, POST_MESSAGE } from '../testkit/clients';
export type { MessageFields as Message } from '../testkit/clients';

export const SERVER_INFO = /* GraphQL */ `
  {
    serverInfo {
      instanceId
    }
  }
`;

export interface StackOptions {
  /**
   * Overrides of the scaled-down timing (e2e/timing.ts); checked by resolveTiming like the real one.
   * @default - E2E_TIMING_PROPS: idle 5 s, keepalive 2 s, drain window 2 s
   */
  readonly timing?: WebSocketTimingProps;
  /**
   * Number of service instances behind the proxy.
   * @default 2
   */
  readonly instances?: number;
  /**
   * Extra environment for every instance, applied after the timing environment (a test may break a rule
   * on purpose, e.g. a keepalive far above the idle timeout).
   * @default - none
   */
  readonly env?: Record<string, string>;
  /**
   * Serve the browser test's page under /e2e/.
   * @default - no page
   */
  readonly page?: PageConfig;
  /**
   * How long each piece may take to start, in milliseconds.
   * @default 30000
   */
  readonly startTimeoutMs?: number;
}

export interface E2eInstance {
  readonly index: number;
  readonly process: ServiceProcess;
  /** From the instance's log lines; what Query.serverInfo reports. */
  readonly instanceId: string;
  readonly port: number;
  /** Direct URL (no proxy), as the target group's health check reaches a target. */
  readonly url: string;
}

export interface E2eClientOptions extends Partial<Omit<RecommendedClientOptions, 'webSocketImpl'>> {
  /** Local address to connect from (any of 127/8): plays a client with its own IP. */
  readonly localAddress?: string;
  /** Extra headers on the upgrade request (e.g. a forged X-Forwarded-For). */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface Stack {
  readonly timing: WebSocketTiming;
  readonly redis: RedisServer;
  readonly instances: readonly E2eInstance[];
  readonly proxy: NginxProxy;
  /** https://localhost:<port>/graphql */
  readonly graphqlUrl: string;
  /** wss://localhost:<port>/graphql */
  readonly wsUrl: string;
  /** https://localhost:<port>/e2e/index.html when a page was asked for. */
  readonly pageUrl: string | undefined;
  /** The recommended client, pointed at wss://, trusting the run's certificate; disposed by stop(). */
  client(options?: E2eClientOptions): RecommendedClient;
  /** postMessage over https through the proxy. */
  post(
    room: string,
    text: string,
  ): Promise<{
    status: number;
    data?: { postMessage: Message };
    errors?: { message: string; extensions?: Record<string, unknown> }[];
  }>;
  /** GET on the proxy's https origin. */
  get(path: string): Promise<HttpResponse>;
  /** The instance with this id (serverInfo.instanceId). */
  instanceById(instanceId: string): E2eInstance;
  /** Log lines of every instance. */
  logs(): LogLine[];
  stop(): Promise<void>;
}

/** A `ws` WebSocket class that trusts exactly the run's certificate (TLS stays verified). */
export function trustingWebSocket(
  ca: string,
  extra: WsClientOptions = {},
): new (address: string | URL, protocols?: string | string[]) => WebSocket {
  return class TrustingWebSocket extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { ...extra, ca });
    }
  };
}

/** Asks the instance that holds this client's socket who it is (a query over the same WebSocket). */
export function socketInstanceId(client: RecommendedClient, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`serverInfo over WebSocket: no answer in ${timeoutMs} ms`)),
      timeoutMs,
    );
    client.subscribe<{ serverInfo: { instanceId: string } }>(
      { query: SERVER_INFO },
      {
        next: (r) => {
          clearTimeout(timer);
          if (r.data) resolve(r.data.serverInfo.instanceId);
          else reject(new Error(`serverInfo failed: ${JSON.stringify(r.errors)}`));
        },
        error: (e) => {
          clearTimeout(timer);
          reject(e instanceof Error ? e : new Error(JSON.stringify(e)));
        },
        complete: () => undefined,
      },
    );
  });
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const timing = e2eTiming(options.timing);
  const count = options.instances ?? 2;
  if (!Number.isInteger(count) || count < 1 || count > 8) {
    throw new Error(`startStack: 'instances' must be an integer in 1..8 (got ${count})`);
  }
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const started: { redis?: RedisServer; processes: ServiceProcess[]; proxy?: NginxProxy; pageDir?: string } = {
    processes: [],
  };
  const clients: RecommendedClient[] = [];

  const stopAll = async () => {
    await Promise.allSettled(clients.splice(0).map((c) => c.dispose()));
    await started.proxy?.stop();
    await Promise.allSettled(started.processes.map((p) => p.stop()));
    await started.redis?.stop();
    if (started.pageDir !== undefined) await rm(started.pageDir, { recursive: true, force: true });
  };

  try {
    started.redis = await startRedis();
    // The services trust only configured origins (never the Host header): they must know the page's origin,
    // the proxy's https origin, before the proxy starts.
    const httpsPort = await freePort();
    const env: Record<string, string> = {
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      [ENV.redisUrl]: started.redis.url,
      [ENV.publicOrigin]: `https://localhost:${httpsPort}`,
      ...timingEnvironment(timing),
      ...options.env,
    };
    // Instances pick their own port (PORT=0) and report it; nginx is configured once all are known.
    const spawned = await Promise.allSettled(
      Array.from({ length: count }, () => spawnService({ env, startTimeoutMs })),
    );
    for (const s of spawned) if (s.status === 'fulfilled') started.processes.push(s.value);
    const failed = spawned.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;

    const instances: E2eInstance[] = await Promise.all(
      started.processes.map(async (process, index) => {
        const listening = await process.waitForLog('server.listening');
        return {
          index,
          process,
          instanceId: String(listening.instance),
          port: process.port,
          url: process.url,
        };
      }),
    );

    let staticRoot: string | undefined;
    if (options.page) {
      started.pageDir = await mkdtemp(join(tmpdir(), 'e2e-page-'));
      await writeBrowserPage(started.pageDir, options.page);
      staticRoot = started.pageDir;
    }
    started.proxy = await startNginx({
      upstreams: instances.map((i) => ({ host: '127.0.0.1', port: i.port })),
      idleTimeoutSeconds: timing.idleTimeoutSeconds,
      proxyBindAddress: PROXY_BIND_ADDRESS,
      httpsPort,
      ...(staticRoot !== undefined ? { staticRoot } : {}),
    });
    const proxy = started.proxy;
    const ca = proxy.certificate.certificatePem;
    const graphqlUrl = `${proxy.httpsOrigin}${PATHS.graphql}`;
    const wsUrl = `${proxy.wssOrigin}${PATHS.graphql}`;

    let stopped: Promise<void> | undefined;
    return {
      timing,
      redis: started.redis,
      instances,
      proxy,
      graphqlUrl,
      wsUrl,
      pageUrl: staticRoot !== undefined ? `${proxy.httpsOrigin}/e2e/index.html` : undefined,
      client: ({ localAddress, headers, ...rest } = {}) => {
        const client = createRecommendedClient({
          url: wsUrl,
          // Scaled like the server's keepalive: pings well inside the idle timeout.
          keepAliveMs: timing.keepaliveIntervalSeconds * 1000,
          pongTimeoutMs: timing.keepaliveIntervalSeconds * 2000,
          backoff: { baseMs: 300, capMs: 3000 },
          ...rest,
          webSocketImpl: trustingWebSocket(ca, {
            ...(localAddress !== undefined ? { localAddress } : {}),
            ...(headers !== undefined ? { headers: { ...headers } } : {}),
          }),
        });
        clients.push(client);
        return client;
      },
      post: (room, text) => postGraphql<{ postMessage: Message }>(graphqlUrl, POST_MESSAGE, { room, text }, { ca }),
      get: (path) => sendHttp(`${proxy.httpsOrigin}${path}`, { ca }),
      instanceById: (id) => {
        const found = instances.find((i) => i.instanceId === id);
        if (!found) throw new Error(`no instance ${id} (have ${instances.map((i) => i.instanceId).join(', ')})`);
        return found;
      },
      logs: () => instances.flatMap((i) => i.process.logs),
      stop: () => (stopped ??= stopAll()),
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
