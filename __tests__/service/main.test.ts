/**
 * The entry point as a process: bad environment fails at start with a clear message and exit 1, a busy
 * port fails clearly, SIGTERM with nothing open exits 0 at once, and the compiled output (what
 * `npm run service` and the image run) starts and drains.
 */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT, spawnService } from '../../testkit/service-process';
import { postMessage } from '../../testkit/clients';

jest.setTimeout(60_000);

test('an invalid environment exits 1 with one JSON line naming each variable, value and range', async () => {
  const service = await spawnService({
    env: { KEEPALIVE_INTERVAL_MS: 'soon', MAX_CONNECTIONS: '0', REDIS_URL: 'http://cache' },
    waitForListening: false,
  });
  expect(await service.exited).toEqual({ code: 1, signal: null });
  const line = await service.waitForLog('config.invalid');
  expect(line.level).toBe('error');
  expect(line.problems).toEqual([
    "KEEPALIVE_INTERVAL_MS='soon' must be an integer in 100..3600000 (ms)",
    "REDIS_URL='http://cache' must use redis: or rediss: (got http:)",
    "MAX_CONNECTIONS='0' must be an integer in 1..1000000",
  ]);
  expect(service.logs.some((l) => l.event === 'server.listening')).toBe(false);
});

test('a port already in use exits 1 with the reason', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as { port: number }).port;
  try {
    const service = await spawnService({ env: { PORT: String(port) }, waitForListening: false });
    expect((await service.exited).code).toBe(1);
    const line = await service.waitForLog('process.start_failed');
    expect(JSON.stringify(line.error)).toContain('EADDRINUSE');
  } finally {
    blocker.close();
  }
});

test('SIGTERM with no open connections exits 0 right away', async () => {
  const service = await spawnService({ env: { DRAIN_WINDOW_MS: '30000' } });
  const started = Date.now();
  service.kill('SIGTERM');
  expect(await service.exited).toEqual({ code: 0, signal: null });
  expect(Date.now() - started).toBeLessThan(3_000);
  expect(service.logs.map((l) => l.event)).toEqual(
    expect.arrayContaining(['drain.start', 'drain.complete', 'process.exit']),
  );
});

test('the compiled entry point (npm run service, the image CMD) serves and drains', async () => {
  // The same compile step as `npm run build -w service` (service/dist is git-ignored).
  execFileSync(
    process.execPath,
    [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(REPO_ROOT, 'service', 'tsconfig.json')],
    {
      cwd: REPO_ROOT,
      stdio: 'pipe',
    },
  );
  const service = await spawnService({
    entry: join(REPO_ROOT, 'service', 'dist', 'main.js'),
    env: { NODE_ENV: 'production' },
  });
  try {
    expect((await fetch(`${service.url}/health`)).status).toBe(200);
    expect((await postMessage(service.graphqlUrl, 'compiled', 'hello')).body.data?.postMessage.text).toBe('hello');
    service.kill('SIGTERM');
    expect(await service.exited).toEqual({ code: 0, signal: null });
  } finally {
    await service.stop();
  }
});
