/**
 * Scenario 4: Redis goes away for a few seconds (redis-server SIGKILLed, then started again on the same
 * port). No instance crashes; each reports it on its readiness endpoint (reached directly, as the target
 * group's health check reaches a target) while liveness stays up; a mutation fails fast with a clear
 * error instead of hanging or pretending; and once Redis is back, delivery resumes on the subscriptions
 * that were open all along. A second restart loses the history (Redis keeps no data across it): clients that
 * reconnect afterwards with a position of the lost history are told recovery was incomplete (`epoch`), and
 * live delivery carries on for them.
 */
import type { RecoveryOutcome } from '../../client';
import { PATHS } from '../../service/src/container-contract';
import { sendHttp } from '../../e2e/http';
import { MESSAGE_POSTED, socketInstanceId, startStack, type Message, type Stack } from '../../e2e/stack';
import { sleep, waitFor, withoutRecordedFailures } from '../../testkit/wait';

const ROOM = 'outage';
const OUTAGE_MS = 3_000;
const EPOCH_ROOM = 'outage-epoch';
const EPOCH_CLIENTS = 20;
const POSITION = /^1\.([A-Za-z0-9_-]+)\.\d+-\d+$/;

interface Readiness {
  ready: boolean;
  pubsub: { backend: string; ready: boolean };
}

describe('scenario 4: Redis outage', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  const readiness = async (url: string) => {
    const res = await sendHttp(`${url}${PATHS.ready}`, { timeoutMs: 3_000 });
    return { status: res.status, body: JSON.parse(res.body) as Readiness };
  };
  const allReady = async () => {
    for (const instance of stack.instances) {
      await waitFor(`${instance.url} ready`, async () => (await readiness(instance.url)).status === 200, 10_000, 100);
    }
  };
  /**
   * Posts `text` to `room` every 200 ms until `delivered()` (at most 10 s). Every post must succeed: a failed
   * one is recorded and reported with the wait's outcome, as an expect thrown in the check would be retried
   * away.
   */
  const postUntil = (what: string, room: string, text: string, delivered: () => boolean) => {
    const failures: unknown[] = [];
    const check = async () => {
      const res = await stack.post(room, text);
      if (res.errors !== undefined) failures.push({ text, errors: res.errors });
      return delivered();
    };
    return withoutRecordedFailures('failed posts', failures, waitFor(what, check, 10_000, 200));
  };

  it('survives, reports not-ready, fails mutations clearly, and resumes delivery', async () => {
    // One subscriber on each instance, so delivery must cross Redis in both directions afterwards.
    const subscribers = [stack.client(), stack.client()];
    const on = await Promise.all(subscribers.map((c) => socketInstanceId(c)));
    expect(new Set(on).size).toBe(2);
    const received: Message[][] = subscribers.map(() => []);
    subscribers.forEach((client, i) =>
      client.subscribe<{ messagePosted: Message }>(
        { query: MESSAGE_POSTED, variables: { room: ROOM } },
        {
          next: (r) => r.data && received[i]!.push(r.data.messagePosted),
          error: () => undefined,
          complete: () => undefined,
        },
      ),
    );
    await waitFor(
      'both subscribers live before the outage',
      async () => {
        await stack.post(ROOM, 'before');
        return received.every((r) => r.length > 0);
      },
      10_000,
      200,
    );
    for (const instance of stack.instances) expect((await readiness(instance.url)).status).toBe(200);

    // Outage.
    await stack.redis.stop('SIGKILL');
    const outageStart = Date.now();
    for (const instance of stack.instances) {
      const report = await waitFor(
        `${instance.url} not ready`,
        async () => {
          const r = await readiness(instance.url);
          return r.status === 503 ? r : undefined;
        },
        5_000,
        100,
      );
      expect(report.body.ready).toBe(false);
      expect(report.body.pubsub).toMatchObject({ backend: 'redis', ready: false });
      // Alive all the same: the health check must not get the task replaced for a Redis blip.
      expect((await sendHttp(`${instance.url}${PATHS.health}`)).status).toBe(200);
    }
    const startedAt = Date.now();
    const failed = await stack.post(ROOM, 'during');
    expect(Date.now() - startedAt).toBeLessThan(3_000);
    expect(failed.errors?.[0]?.extensions?.code).toBe('PUBSUB_UNAVAILABLE');
    expect(failed.errors?.[0]?.message).toMatch(/Redis\) is unavailable/);
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - outageStart)));
    for (const instance of stack.instances) expect(instance.process.child.exitCode).toBeNull();

    // Redis back on the same port.
    await stack.redis.restart();
    for (const instance of stack.instances) {
      await waitFor(
        `${instance.url} ready again`,
        async () => (await readiness(instance.url)).status === 200,
        10_000,
        100,
      );
    }
    const counts = received.map((r) => r.length);
    // Both instances report ready: from now on no mutation may fail.
    await postUntil('delivery to both subscribers after the outage', ROOM, 'after', () =>
      received.every((r, i) => r.slice(counts[i]).some((m) => m.text === 'after')),
    );

    // Nothing crashed and the subscribers never had to reconnect: the service resubscribed to Redis itself.
    for (const instance of stack.instances) expect(instance.process.child.exitCode).toBeNull();
    for (const client of subscribers) {
      expect(client.stats.closeCodes).toEqual([]);
      expect(client.stats.connects).toBe(1);
    }
    expect(
      stack.logs().filter((l) => l.event === 'process.uncaught_exception' || l.event === 'process.unhandled_rejection'),
    ).toEqual([]);
  }, 45_000);

  it('history lost in a Redis restart: clients are told (epoch) in-stream and on resume, live delivery goes on', async () => {
    await allReady();
    const tracked = Array.from({ length: EPOCH_CLIENTS }, () => {
      const t = {
        outcomes: [] as RecoveryOutcome[],
        events: [] as { text: string; epoch: string }[],
        client: stack.client({ onRecovery: (outcome) => t.outcomes.push(outcome) }),
      };
      return t;
    });
    const on = await Promise.all(tracked.map((t) => socketInstanceId(t.client)));
    expect(new Set(on).size).toBe(2);
    for (const t of tracked) {
      t.client.subscribe<{ messagePosted: Message }, { position?: string }>(
        { query: MESSAGE_POSTED, variables: { room: EPOCH_ROOM } },
        {
          next: (r) => {
            const epoch = POSITION.exec(String(r.extensions?.position))?.[1];
            if (r.data && epoch !== undefined) t.events.push({ text: r.data.messagePosted.text, epoch });
          },
          error: () => undefined,
          complete: () => undefined,
        },
      );
    }
    // Mid-stream: every client has received events of the current history.
    await postUntil('all subscribers receiving', EPOCH_ROOM, 'before', () => tracked.every((t) => t.events.length > 0));
    const oldEpoch = tracked[0]!.events.at(-1)!.epoch;
    expect(tracked.every((t) => t.events.at(-1)!.epoch === oldEpoch)).toBe(true);

    // Redis restarts empty: the history is gone.
    await stack.redis.stop('SIGKILL');
    await stack.redis.restart();
    await allReady();
    // Still connected: each instance catches up its live subscriptions and tells them in-stream.
    await waitFor('every client told in-stream', () => tracked.every((t) => t.outcomes.length > 0), 15_000, 50);
    for (const t of tracked) expect(t.outcomes).toEqual([{ recovered: false, reason: 'epoch' }]);
    for (const t of tracked) expect(t.client.stats.reconnects).toBe(0);
    // Every client loses its socket now (a network blip) and resubscribes with its old position, which is
    // in the lost history too: told again.
    for (const t of tracked) t.client.terminate();
    await waitFor('every client told on resume', () => tracked.every((t) => t.outcomes.length > 1), 15_000, 50);
    for (const t of tracked)
      expect(t.outcomes).toEqual([
        { recovered: false, reason: 'epoch' },
        { recovered: false, reason: 'epoch' },
      ]);

    // Live delivery goes on, in the new history.
    const counts = tracked.map((t) => t.events.length);
    await postUntil('live after the restart', EPOCH_ROOM, 'after', () =>
      tracked.every((t, i) => t.events.slice(counts[i]).some((e) => e.text === 'after')),
    );
    const newEpochs = new Set(tracked.flatMap((t, i) => t.events.slice(counts[i]).map((e) => e.epoch)));
    expect(newEpochs.size).toBe(1);
    expect(newEpochs.has(oldEpoch)).toBe(false);
    for (const t of tracked) expect(t.client.stats.reconnects).toBe(1);

    for (const instance of stack.instances) expect(instance.process.child.exitCode).toBeNull();
    expect(
      stack.logs().filter((l) => l.event === 'process.uncaught_exception' || l.event === 'process.unhandled_rejection'),
    ).toEqual([]);
  }, 45_000);
});
