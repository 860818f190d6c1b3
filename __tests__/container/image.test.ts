/**
 * service/Dockerfile built and run as ECS runs it: the container gets the settings of the default stack's
 * synthesized task definition (environment, user, read-only root filesystem, the /tmp volume, init process,
 * stop timeout; secrets as plain environment) and must serve, deliver subscriptions, stay inside its
 * sandbox, drain on `stop` and fan out through Redis. docker where a daemon answers, else podman on local
 * base images (testkit/container/base-image.ts). Prints (and writes to bench/tmp/container-image.json) the
 * image size and start-to-ready times. Under CI (CI=true or 1) a missing engine fails; elsewhere it skips.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTAINER, ENV, PATHS } from '../../service/src/container-contract';
import { CLOSE_CODES } from '../../service/src/close-codes';
import { postMessage, subscribeRoomReady, wsClient } from '../../testkit/clients';
import { underCi } from '../../testkit/ci';
import { detectEngine, engineUnavailableReason, type Engine } from '../../testkit/container/engine';
import { startServiceContainer, type ServiceContainer } from '../../testkit/container/service-container';
import { buildServiceImage, type ServiceImage } from '../../testkit/container/service-image';
import { defaultStackContainer, type TaskContainer } from '../../testkit/container/task-definition';
import { freePort } from '../../testkit/ports';
import { startRedis, type RedisServer } from '../../testkit/redis';
import { waitFor } from '../../testkit/wait';

/** A HEALTHCHECK as image inspect reports it (times in nanoseconds). */
interface HealthConfig {
  readonly Test: string[];
  readonly Interval?: number;
  readonly Timeout?: number;
  readonly Retries?: number;
  readonly StartPeriod?: number;
}

const RESULTS = join(__dirname, '..', '..', 'bench', 'tmp', 'container-image.json');
const unavailable = engineUnavailableReason();
const skipped = unavailable !== undefined && !underCi();
if (skipped) process.stdout.write(`container tests skipped: ${unavailable}\n`);
const suite = skipped ? describe.skip : describe;

jest.setTimeout(120_000);

suite('service image (service/Dockerfile) run with the task definition settings', () => {
  let engine: Engine;
  let image: ServiceImage;
  let task: TaskContainer;
  const results: Record<string, unknown> = {};
  const containers: ServiceContainer[] = [];
  const t0 = Date.now();
  // The stack's ElastiCache (rediss:// endpoint, AUTH token secret) as a local redis-server with a password.
  let redis: RedisServer;
  const password = 'container-test-auth-token';

  beforeAll(async () => {
    // Fails here (under CI) when no engine is installed: scripts/setup-system.sh installs podman.
    engine = detectEngine();
    task = defaultStackContainer();
    const log = (line: string) => process.stdout.write(`[container] ${line}\n`);
    image = await buildServiceImage(engine, log);
    results.engine = engine.name;
    results.build = { command: image.command, seconds: (Date.now() - t0) / 1000, baseBuilt: image.baseBuilt };
    results.imageSizeMB = Math.round(image.sizeBytes / 1e5) / 10;
    log(`image ${image.tag}: ${results.imageSizeMB} MB, built in ${(Date.now() - t0) / 1000} s`);
    redis = await startRedis({ password });
  }, 20 * 60_000);

  afterAll(async () => {
    await Promise.all(containers.map((c) => c.remove()));
    await redis?.stop();
    if (image === undefined) return;
    results.totalSeconds = (Date.now() - t0) / 1000;
    mkdirSync(join(RESULTS, '..'), { recursive: true });
    writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(`[container] results: ${JSON.stringify(results)}\n`);
  });

  /** Starts a container on a free loopback port, the task's AWS references replaced by local values. */
  async function start(): Promise<ServiceContainer> {
    const port = await freePort();
    const container = await startServiceContainer(engine, task, {
      image: image.tag,
      port,
      secrets: { [ENV.redisAuthToken]: password },
      overrides: {
        // Host networking shares the machine's ports and interfaces (awsvpc gives each task its own):
        // a free port, on loopback only.
        [ENV.port]: String(port),
        [ENV.host]: '127.0.0.1',
        [ENV.version]: 'container-test',
        // The local redis-server speaks plain TCP (ElastiCache: TLS).
        [ENV.redisUrl]: redis.url,
        [ENV.redisTls]: 'false',
      },
    });
    containers.push(container);
    return container;
  }

  test('the image agrees with the task definition and the target group on user, port and health check', async () => {
    const [inspected] = JSON.parse(await engine.run(['image', 'inspect', image.tag])) as Array<{
      Config: { User: string; ExposedPorts: Record<string, unknown>; Env: string[]; Healthcheck?: HealthConfig };
      Healthcheck?: HealthConfig;
    }>;
    const config = inspected?.Config;
    if (config === undefined) throw new Error(`no image config for ${image.tag}`);
    // docker reports the HEALTHCHECK in Config, podman beside it.
    const health = config.Healthcheck ?? inspected?.Healthcheck;
    expect(config.User).toBe(task.user);
    expect(Object.keys(config.ExposedPorts)).toEqual([`${task.containerPort}/tcp`]);
    expect(config.Env).toContain(`${ENV.port}=${task.containerPort}`);
    expect(task.environment[ENV.port]).toBe(String(task.containerPort));
    const seconds = (ns: number | undefined) => (ns ?? 0) / 1e9;
    expect({
      command: health?.Test,
      interval: seconds(health?.Interval),
      timeout: seconds(health?.Timeout),
      retries: health?.Retries,
      startPeriod: seconds(health?.StartPeriod),
    }).toEqual(task.healthCheck);
    expect(task.targetGroupHealthCheck).toEqual({
      path: PATHS.health,
      port: 'traffic-port',
      trafficPort: task.containerPort,
    });
    expect(task.containerPort).toBe(CONTAINER.port);
  });

  test('serves, delivers a subscription, runs as uid 1000 read-only, drains on stop and exits 0', async () => {
    expect(task.secretNames).toEqual([ENV.redisAuthToken]);
    const container = await start();
    results.startToReadyMs = container.startToReadyMs;
    process.stdout.write(`[container] start to ready: ${container.startToReadyMs} ms\n`);

    expect((await fetch(`${container.url}${PATHS.health}`)).status).toBe(200);
    const ready = (await (await fetch(`${container.url}${PATHS.ready}`)).json()) as {
      ready: boolean;
      pubsub: { backend: string };
    };
    expect(ready).toMatchObject({ ready: true, pubsub: { backend: 'redis' } });
    expect(await container.healthy()).toBe(true);

    const ws = wsClient(container.wsUrl);
    const subscription = await subscribeRoomReady(ws.client, 'lobby', (text) =>
      postMessage(container.graphqlUrl, 'lobby', text),
    );
    await postMessage(container.graphqlUrl, 'lobby', 'hello from HTTP');
    await subscription.waitForCount(2);
    expect(subscription.received.map((m) => m.text)).toContain('hello from HTTP');

    // The service process (not just an exec'd shell) runs as the task's user.
    const uids = await container.exec([
      'node',
      '-e',
      `const fs = require('fs');
       for (const pid of fs.readdirSync('/proc').filter((p) => /^\\d+$/.test(p))) {
         const cmd = fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8');
         if (cmd === 'node\\0service/dist/main.js\\0') console.log(/Uid:\\s+(\\d+)/.exec(fs.readFileSync('/proc/' + pid + '/status', 'utf8'))[1]);
       }`,
    ]);
    expect(uids.trim()).toBe(task.user.split(':')[0]);

    const writes = JSON.parse(
      await container.exec([
        'node',
        '-e',
        `const fs = require('fs'); const out = {};
         for (const dir of ['/', '/app', '/app/service/dist', '/etc', '/usr/local/bin', '/var/tmp', '/run', '/home', '/tmp']) {
           try { fs.writeFileSync(dir.replace(/\\/$/, '') + '/probe', 'x'); out[dir] = 'written'; } catch (e) { out[dir] = e.code; }
         }
         console.log(JSON.stringify(out));`,
      ]),
    ) as Record<string, string>;
    const { ['/tmp']: tmp, ...elsewhere } = writes;
    expect(tmp).toBe('written');
    for (const [dir, outcome] of Object.entries(elsewhere)) expect([dir, outcome]).toEqual([dir, 'EROFS']);

    const stopped = await container.stop(task.stopTimeoutSeconds);
    results.stopSeconds = stopped.ms / 1000;
    expect(stopped.exitCode).toBe(0);
    // Well before SIGKILL: one open socket drains in one batch.
    expect(stopped.ms).toBeLessThan((task.stopTimeoutSeconds * 1000) / 4);
    await waitFor('the client to see the close', () => ws.closeCodes.length > 0);
    expect(ws.closeCodes).toEqual([CLOSE_CODES.serviceRestart]);
    const events = (await container.logs())
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => (JSON.parse(l) as { event: string }).event);
    expect(events).toEqual(expect.arrayContaining(['drain.start', 'drain.complete', 'process.exit']));
    await ws.dispose();
  });

  test('two containers deliver each other’s messages through Redis', async () => {
    const [a, b] = await Promise.all([start(), start()]);
    results.startToReadyTwoAtOnceMs = [a.startToReadyMs, b.startToReadyMs];
    const onA = wsClient(a.wsUrl);
    const onB = wsClient(b.wsUrl);
    const subA = await subscribeRoomReady(onA.client, 'shared', (text) => postMessage(b.graphqlUrl, 'shared', text));
    const subB = await subscribeRoomReady(onB.client, 'shared', (text) => postMessage(a.graphqlUrl, 'shared', text));
    await postMessage(b.graphqlUrl, 'shared', 'from B');
    await postMessage(a.graphqlUrl, 'shared', 'from A');
    await waitFor('B to A', () => subA.received.some((m) => m.text === 'from B'));
    await waitFor('A to B', () => subB.received.some((m) => m.text === 'from A'));
    await Promise.all([onA.dispose(), onB.dispose()]);
    const stops = await Promise.all([a.stop(task.stopTimeoutSeconds), b.stop(task.stopTimeoutSeconds)]);
    expect(stops.map((s) => s.exitCode)).toEqual([0, 0]);
  });
});
