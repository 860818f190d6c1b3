/**
 * Draining, the way ECS stops a task: instance A (the real entry point, a child process) drains on SIGTERM
 * or when the task metadata endpoint reports DesiredStatus STOPPED. Its clients must see 1012 (never
 * 1006), in batches spread over the drain window, reconnect to instance B (in-process) through a
 * "load balancer" that only picks ready instances, and keep receiving through Redis. A exits 0.
 */
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { HTTP_FINISH_GRACE_MS } from '../../service/src/app';
import { CLOSE_CODES } from '../../service/src/close-codes';
import { startTestApp, type TestApp } from '../../testkit/app';
import {
  graphqlPost,
  MESSAGE_POSTED,
  postMessage,
  rawSocket,
  subscribeRoom,
  wsClient,
  type RecordedWsClient,
  type Subscription,
} from '../../testkit/clients';
import { startTaskMetadataStub, type TaskMetadataStub } from '../../testkit/ecs-metadata-stub';
import { startRedis, type RedisServer } from '../../testkit/redis';
import { spawnService, type ServiceProcess } from '../../testkit/service-process';
import { sleep, waitFor } from '../../testkit/wait';

jest.setTimeout(60_000);

const DRAIN_WINDOW_MS = 1_500;
const CLIENTS = 12;

async function isReady(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/ready`)).status === 200;
  } catch {
    return false;
  }
}

/**
 * Clients connected to A through a stand-in for the load balancer: each (re)connect goes to A while A is
 * ready, else to B. Records when each socket closed and with which code.
 */
async function connectClients(a: ServiceProcess, b: TestApp) {
  const closes: Array<{ client: number; code: number; at: number }> = [];
  const clients: RecordedWsClient[] = [];
  const subscriptions: Subscription[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    const client = wsClient(async () => ((await isReady(a.url)) ? a.wsUrl : b.wsUrl), {
      retryAttempts: 10,
      retryWait: () => sleep(50 + Math.random() * 100),
      shouldRetry: () => true,
      on: { closed: (event) => closes.push({ client: i, code: (event as { code: number }).code, at: Date.now() }) },
    });
    clients.push(client);
    subscriptions.push(subscribeRoom(client.client, 'drain'));
  }
  // All subscribed on A: a message posted on A reaches every one of them.
  await waitFor(
    'all clients subscribed',
    async () => {
      await postMessage(a.graphqlUrl, 'drain', 'probe');
      return subscriptions.every((s) => s.received.length > 0);
    },
    10_000,
    100,
  );
  // Every socket is on A (a message from A would also reach B's sockets through Redis).
  const onA = (await (await fetch(`${a.url}/ready`)).json()) as { connections: { webSocket: number } };
  expect(onA.connections.webSocket).toBe(CLIENTS);
  return { clients, subscriptions, closes };
}

/** What every drain trigger must produce. */
async function expectDrainedToB(
  a: ServiceProcess,
  b: TestApp,
  setup: Awaited<ReturnType<typeof connectClients>>,
  triggeredAt: number,
) {
  const { clients, subscriptions, closes } = setup;
  const exit = await a.exited;
  expect(exit).toEqual({ code: 0, signal: null });
  // A's exit and the clients' close events race in this process; give the last ones a moment.
  await waitFor('every client saw its socket close', () => closes.length >= CLIENTS, 2_000).catch(() => undefined);

  // Every client was closed by A exactly once, with 1012; none saw 1006.
  expect(closes.map((c) => c.code)).toEqual(Array(CLIENTS).fill(CLOSE_CODES.serviceRestart));
  expect(new Set(closes.map((c) => c.client)).size).toBe(CLIENTS);
  // In batches spread over the window, not all at once.
  const times = closes.map((c) => c.at - triggeredAt);
  expect(Math.max(...times) - Math.min(...times)).toBeGreaterThan(DRAIN_WINDOW_MS * 0.4);
  expect(Math.max(...times)).toBeLessThan(DRAIN_WINDOW_MS + 2_000);
  const batches = a.logs.filter((l) => l.event === 'drain.batch');
  expect(batches.length).toBeGreaterThan(1);
  for (const event of ['drain.start', 'drain.connections_closed', 'drain.complete', 'process.exit']) {
    expect(a.logs.some((l) => l.event === event)).toBe(true);
  }
  expect(a.logs.filter((l) => l.event === 'ws.close').map((l) => l.code)).toEqual(
    Array(CLIENTS).fill(CLOSE_CODES.serviceRestart),
  );

  // Reconnected to B and receiving there.
  await waitFor('all clients on B', () => b.app.connections().webSocket === CLIENTS, 10_000);
  await waitFor(
    'delivery on B',
    async () => {
      const counts = subscriptions.map((s) => s.received.length);
      await postMessage(b.graphqlUrl, 'drain', 'after the drain');
      await sleep(100);
      return subscriptions.every(
        (s, i) => s.received.length > (counts[i] ?? 0) && s.received.at(-1)?.text === 'after the drain',
      );
    },
    10_000,
    50,
  );
  expect(clients.every((c) => c.connected() === 2)).toBe(true);
  await Promise.all(clients.map((c) => c.dispose()));
}

describe('draining', () => {
  let redis: RedisServer;
  let b: TestApp;
  let metadata: TaskMetadataStub;
  let a: ServiceProcess | undefined;

  beforeAll(async () => {
    redis = await startRedis();
    metadata = await startTaskMetadataStub();
    b = await startTestApp({ env: { REDIS_URL: redis.url, LOG_LEVEL: 'info' } });
  });
  afterEach(async () => {
    await a?.stop();
    a = undefined;
  });
  afterAll(async () => {
    await b?.stop();
    await metadata?.close();
    await redis?.stop();
  });

  const startA = async (env: Record<string, string> = {}) => {
    const service = await spawnService({
      env: { REDIS_URL: redis.url, DRAIN_WINDOW_MS: String(DRAIN_WINDOW_MS), LOG_LEVEL: 'info', ...env },
    });
    await waitFor('A ready', () => isReady(service.url));
    return service;
  };

  test('on SIGTERM: readiness 503 and upgrades refused at once, sockets closed with 1012 over the window, exit 0, clients continue on B', async () => {
    a = await startA();
    const setup = await connectClients(a, b);
    // An SSE stream on A is ended by the drain too.
    const sse = await fetch(a.graphqlUrl, {
      method: 'POST',
      headers: { accept: 'text/event-stream', 'content-type': 'application/json' },
      body: JSON.stringify({ query: MESSAGE_POSTED, variables: { room: 'drain' } }),
    });
    const sseEnded = sse.body!.pipeTo(new WritableStream()).then(
      () => 'ended',
      () => 'errored',
    );

    const triggeredAt = Date.now();
    a.kill('SIGTERM');
    await a.waitForLog('drain.start');
    const ready = await fetch(`${a.url}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ ready: false, draining: true });
    const late = rawSocket(a.wsUrl);
    expect(await late.refusedStatus).toBe(503);
    // Plain HTTP still works during the window (requests already routed here finish).
    expect((await graphqlPost(a.graphqlUrl, '{ viewer }')).status).toBe(200);

    await expectDrainedToB(a, b, setup, triggeredAt);
    expect(await sseEnded).toBe('ended');
    expect(a.logs.find((l) => l.event === 'drain.start')?.reason).toBe('SIGTERM');
  });

  test('when the ECS task metadata reports DesiredStatus STOPPED (before any SIGTERM): same drain, exit 0', async () => {
    metadata.desiredStatus = 'RUNNING';
    a = await startA({ ECS_CONTAINER_METADATA_URI_V4: metadata.uri, DRAIN_POLL_INTERVAL_MS: '100' });
    await a.waitForLog((l) => l.event === 'ecs.metadata' && l.desiredStatus === 'RUNNING');
    const setup = await connectClients(a, b);
    const requestsBefore = metadata.requests;
    await sleep(300);
    expect(metadata.requests).toBeGreaterThan(requestsBefore);
    expect(a.logs.some((l) => l.event === 'drain.start')).toBe(false);

    const triggeredAt = Date.now();
    metadata.desiredStatus = 'STOPPED';
    await a.waitForLog('ecs.task_stopping');
    await expectDrainedToB(a, b, setup, triggeredAt);
    expect(a.logs.find((l) => l.event === 'drain.start')?.reason).toBe('ecs_desired_status_stopped');
  });

  test('SIGTERM after the metadata-triggered drain started does not start a second one', async () => {
    metadata.desiredStatus = 'RUNNING';
    a = await startA({ ECS_CONTAINER_METADATA_URI_V4: metadata.uri, DRAIN_POLL_INTERVAL_MS: '100' });
    await a.waitForLog('ecs.metadata');
    const client = wsClient(a.wsUrl);
    subscribeRoom(client.client, 'twice');
    await waitFor('connected', () => client.connected() === 1);
    metadata.desiredStatus = 'STOPPED';
    await a.waitForLog('drain.start');
    a.kill('SIGTERM');
    expect(await a.exited).toEqual({ code: 0, signal: null });
    expect(a.logs.filter((l) => l.event === 'drain.start')).toHaveLength(1);
    expect(a.logs.some((l) => l.event === 'drain.already_running' && l.reason === 'SIGTERM')).toBe(true);
    expect(client.closeCodes).toEqual([CLOSE_CODES.serviceRestart]);
    await client.dispose();
  });
});

describe('drain (in-process)', () => {
  test('in-flight HTTP requests finish, then the server closes; drain() is idempotent', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let executing: () => void = () => undefined;
    const reachedServer = new Promise<void>((resolve) => (executing = resolve));
    const slow: Plugin = {
      async onExecute({ args }) {
        if (getOperationAST(args.document, args.operationName)?.name?.value !== 'Slow') return;
        executing();
        await gate;
      },
    };
    const t = await startTestApp({ env: { DRAIN_WINDOW_MS: '0', LOG_LEVEL: 'info' }, plugins: [slow] });
    try {
      const inFlight = graphqlPost(t.graphqlUrl, 'query Slow { viewer }');
      await reachedServer;
      const first = t.app.drain('test');
      expect(t.app.drain('again')).toBe(first);
      expect(t.app.readiness()).toMatchObject({ ready: false, draining: true });
      await sleep(200);
      release();
      const response = await inFlight;
      expect(response.status).toBe(200);
      expect(response.body.data).toEqual({ viewer: null });
      const drainedAt = Date.now();
      await first;
      // Closed as soon as the keep-alive connection went idle (swept every 100 ms), not after the whole grace.
      expect(Date.now() - drainedAt).toBeLessThan(HTTP_FINISH_GRACE_MS / 2);
      await expect(fetch(`${t.url}/health`)).rejects.toThrow();
      expect(t.logs.filter((l) => l.event === 'drain.start')).toHaveLength(1);
    } finally {
      release();
      await t.stop();
    }
  });
});
