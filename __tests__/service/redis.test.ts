/**
 * Fan-out between instances through a real redis-server started on a free port: instance A is the real
 * entry point in a child process, instance B is built in-process. Redis is stopped and restarted mid-test:
 * readiness reports it, mutations fail fast with a clear error, nothing crashes, and delivery resumes on the
 * subscriptions that were already open. Also ElastiCache-style TLS + AUTH token.
 */
import { execFileSync } from 'node:child_process';
import Redis from 'ioredis';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PUBSUB_UNAVAILABLE } from '../../service/src/pubsub';
import { startTestApp, type TestApp } from '../../testkit/app';
import { postMessage, sseClient, subscribeRoomReady, wsClient, type RecordedWsClient } from '../../testkit/clients';
import { startRedis, type RedisServer } from '../../testkit/redis';
import { spawnService, type ServiceProcess } from '../../testkit/service-process';
import { waitFor } from '../../testkit/wait';

jest.setTimeout(60_000);

const readiness = async (url: string) => {
  const response = await fetch(`${url}/ready`);
  return { status: response.status, body: (await response.json()) as { pubsub: { backend: string; ready: boolean } } };
};

describe('Redis fan-out between two instances', () => {
  let redis: RedisServer;
  let a: ServiceProcess;
  let b: TestApp;
  const clients: RecordedWsClient[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    redis = await startRedis();
    [a, b] = await Promise.all([
      spawnService({ env: { REDIS_URL: redis.url, LOG_LEVEL: 'info' } }),
      startTestApp({ env: { REDIS_URL: redis.url, LOG_LEVEL: 'info' } }),
    ]);
    await waitFor(
      'both ready',
      async () => (await readiness(a.url)).status === 200 && (await readiness(b.url)).status === 200,
    );
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await Promise.all(clients.map((c) => c.dispose()));
    await b?.stop();
    await a?.stop();
    await redis?.stop();
  });

  test('readiness reports the Redis backend', async () => {
    expect((await readiness(a.url)).body.pubsub).toMatchObject({ backend: 'redis', ready: true });
    expect((await readiness(b.url)).body.pubsub).toMatchObject({ backend: 'redis', ready: true });
  });

  test('a message posted on A reaches a WebSocket subscriber on B, and one posted on B an SSE subscriber on A', async () => {
    const onB = wsClient(b.wsUrl);
    clients.push(onB);
    const wsSubscription = await subscribeRoomReady(onB.client, 'fanout', (text) =>
      postMessage(a.graphqlUrl, 'fanout', text),
    );
    const sse = sseClient(a.graphqlUrl);
    try {
      const sseSubscription = await subscribeRoomReady(sse, 'fanout-sse', (text) =>
        postMessage(b.graphqlUrl, 'fanout-sse', text),
      );
      const before = wsSubscription.received.length;
      const posted = await postMessage(a.graphqlUrl, 'fanout', 'from A');
      const received = await wsSubscription.waitForCount(before + 1);
      expect(received.at(-1)).toEqual(posted.body.data?.postMessage);
      await postMessage(b.graphqlUrl, 'fanout-sse', 'from B');
      await waitFor('SSE message from B', () => sseSubscription.received.some((m) => m.text === 'from B'));
    } finally {
      sse.dispose();
    }
  });

  test('a message on the channel that is not JSON is logged and dropped; the process and its subscribers carry on', async () => {
    const onA = wsClient(a.wsUrl);
    clients.push(onA);
    const subscription = await subscribeRoomReady(onA.client, 'garbage', (text) =>
      postMessage(b.graphqlUrl, 'garbage', text),
    );
    // Anyone who can PUBLISH to the channel can send this; it used to throw inside ioredis's handler.
    const raw = new Redis(redis.url, { lazyConnect: true });
    try {
      await raw.connect();
      await raw.publish('messagePosted:garbage', 'not-json{');
    } finally {
      raw.disconnect();
    }
    await waitFor('redis.bad_message logged by A', () => a.logs.some((l) => l.event === 'redis.bad_message'));
    const before = subscription.received.length;
    const posted = await postMessage(b.graphqlUrl, 'garbage', 'after the garbage');
    expect((await subscription.waitForCount(before + 1)).at(-1)).toEqual(posted.body.data?.postMessage);
    expect(a.child.exitCode).toBeNull();
    expect(a.logs.some((l) => l.event === 'process.uncaught_exception')).toBe(false);
  });

  test('Redis stops: readiness 503, mutations fail fast with PUBSUB_UNAVAILABLE; it returns: delivery resumes on the open subscriptions', async () => {
    const onB = wsClient(b.wsUrl);
    clients.push(onB);
    const subscription = await subscribeRoomReady(onB.client, 'outage', (text) =>
      postMessage(a.graphqlUrl, 'outage', text),
    );

    await redis.stop('SIGKILL');
    await waitFor('A not ready', async () => (await readiness(a.url)).status === 503, 10_000);
    await waitFor('B not ready', async () => (await readiness(b.url)).status === 503, 10_000);
    expect((await readiness(a.url)).body.pubsub).toMatchObject({ backend: 'redis', ready: false });

    const started = Date.now();
    const failed = await postMessage(a.graphqlUrl, 'outage', 'while down');
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(failed.body.errors?.[0]?.extensions).toMatchObject({ code: PUBSUB_UNAVAILABLE });
    expect(failed.body.errors?.[0]?.message).toMatch(/Redis\) is unavailable/);
    // Liveness is unaffected: ECS must not kill a task because Redis blipped.
    expect((await fetch(`${a.url}/health`)).status).toBe(200);
    expect(onB.closeCodes).toEqual([]);

    await redis.restart();
    await waitFor('A ready again', async () => (await readiness(a.url)).status === 200, 15_000);
    await waitFor('B ready again', async () => (await readiness(b.url)).status === 200, 15_000);
    const before = subscription.received.length;
    // The subscriber's SUBSCRIBE is restored by the reconnect; retry the publish until it lands.
    await waitFor(
      'delivery after Redis returned',
      async () => {
        const posted = await postMessage(a.graphqlUrl, 'outage', 'after return');
        return posted.body.errors === undefined && subscription.received.length > before;
      },
      10_000,
      200,
    );
    expect(subscription.received.at(-1)?.text).toBe('after return');
    expect(onB.closeCodes).toEqual([]);

    // Nothing crashed.
    expect(a.child.exitCode).toBeNull();
    expect(a.logs.filter((l) => String(l.event).startsWith('process.'))).toEqual([]);
    expect(a.logs.some((l) => l.event === 'redis.down')).toBe(true);
    expect(a.logs.filter((l) => l.event === 'redis.ready').length).toBeGreaterThanOrEqual(4);
    expect(unhandled).toEqual([]);
  });
});

describe('Redis with TLS and an AUTH token (ElastiCache in-transit encryption)', () => {
  let dir: string;
  let redis: RedisServer;
  const password = 'an-auth-token-of-sixteen-plus-chars';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'redis-tls-'));
    const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    run([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '1',
      '-subj',
      '/CN=test-ca',
    ]);
    run([
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      '/CN=127.0.0.1',
    ]);
    execFileSync('sh', ['-c', 'printf "subjectAltName=IP:127.0.0.1" > san.ext'], { cwd: dir });
    run([
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.pem',
      '-days',
      '1',
      '-extfile',
      'san.ext',
    ]);
    redis = await startRedis({
      password,
      tls: { certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server.key'), caFile: join(dir, 'ca.pem') },
    });
  });
  afterAll(async () => {
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('rediss:// with REDIS_AUTH_TOKEN: ready, and messages fan out through Redis', async () => {
    const service = await spawnService({
      env: {
        REDIS_URL: redis.url,
        REDIS_AUTH_TOKEN: password,
        NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem'),
        LOG_LEVEL: 'info',
      },
    });
    const client = wsClient(service.wsUrl);
    try {
      await waitFor('ready over TLS', async () => (await readiness(service.url)).status === 200, 10_000);
      const subscription = await subscribeRoomReady(client.client, 'tls', (text) =>
        postMessage(service.graphqlUrl, 'tls', text),
      );
      // Published by another Redis client over TLS: it reaches the subscriber only through Redis.
      const direct = { id: 'direct', room: 'tls', text: 'published on Redis', sentAt: new Date().toISOString() };
      const raw = new Redis(redis.url, { lazyConnect: true, password, tls: { ca: readFileSync(join(dir, 'ca.pem')) } });
      try {
        await raw.connect();
        const before = subscription.received.length;
        await raw.publish('messagePosted:tls', JSON.stringify(direct));
        expect((await subscription.waitForCount(before + 1)).at(-1)).toEqual(direct);
      } finally {
        raw.disconnect();
      }
    } finally {
      await client.dispose();
      await service.stop();
    }
  });

  test('a wrong AUTH token: not ready, mutations fail clearly, the process keeps running', async () => {
    const service = await spawnService({
      env: {
        REDIS_URL: redis.url,
        REDIS_AUTH_TOKEN: 'wrong-token',
        NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem'),
        LOG_LEVEL: 'info',
      },
    });
    try {
      await service.waitForLog(
        (l) => l.event === 'redis.error' && /WRONGPASS|NOAUTH|invalid/i.test(JSON.stringify(l.error)),
      );
      expect((await readiness(service.url)).status).toBe(503);
      const { body } = await postMessage(service.graphqlUrl, 'tls', 'nope');
      expect(body.errors?.[0]?.extensions).toMatchObject({ code: PUBSUB_UNAVAILABLE });
      expect(service.child.exitCode).toBeNull();
    } finally {
      await service.stop();
    }
  });
});
