/**
 * Scenario 3: a rolling restart. 240 clients (the recommended graphql-ws client, in-process, used as an app
 * would: no resume code of its own) subscribe through the proxy, spread over both instances by its
 * round-robin, while a publisher posts numbered messages over https at 20 per second (on a fixed clock,
 * several in flight, so publish order is the order of the positions the service assigns). One instance is sent
 * SIGTERM, as ECS does: it closes each of its sockets with 1012 in jittered batches over the drain window
 * and exits 0. Every client it held must see 1012 (none 1006), reconnect through the proxy to the survivor
 * and be resubscribed (receiving again) within 10 s. Resumable subscriptions make the drain invisible to
 * the app: every client receives every accepted message exactly once and in publish order, the server
 * sends no duplicate on the wire, and every resubscription is told it recovered. The replay figures
 * (events replayed, recovered / not recovered) are printed and written to e2e/artifacts.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RecommendedClient, RecoveryOutcome } from '../../client';
import { MESSAGE_POSTED, socketInstanceId, startStack, type Message, type Stack } from '../../e2e/stack';
import { sleep, waitFor, withTimeout } from '../../testkit/wait';

const CLIENTS = 240;
const ROOM = 'rolling';
const PUBLISH_EVERY_MS = 50;
const RESUBSCRIBE_WITHIN_MS = 10_000;

interface Tracked {
  readonly client: RecommendedClient;
  instanceId: string;
  readonly closes: { code: number; at: number }[];
  /** What the app's sink received: the message's number, its position's epoch and index, arrival time. */
  readonly events: { seq: number; epoch: string; index: number; at: number }[];
  readonly recoveries: RecoveryOutcome[];
  /** Positions of the subscription's events as they arrived on the wire, before the client's own checks. */
  readonly wirePositions: string[];
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

/** The position of a raw graphql-ws `next` message, if it carries one. */
const positionOf = (message: unknown): string | undefined => {
  const m = message as { type?: string; payload?: { extensions?: { position?: unknown } } };
  const position = m.type === 'next' ? m.payload?.extensions?.position : undefined;
  return typeof position === 'string' ? position : undefined;
};

const duplicatesIn = (values: readonly (string | number)[]) => values.length - new Set(values).size;

describe('scenario 3: rolling restart with 240 clients at 20 posts/s', () => {
  let stack: Stack;
  let publishing = false;
  let publisher: Promise<void> | undefined;

  beforeAll(async () => {
    stack = await startStack();
  }, 60_000);
  afterAll(async () => {
    publishing = false;
    await publisher?.catch(() => undefined);
    await stack?.stop();
  });

  it('drains one instance: 1012, all back on the survivor within 10 s, nothing lost, doubled or reordered', async () => {
    const tracked: Tracked[] = Array.from({ length: CLIENTS }, () => {
      const t: Tracked = {
        client: stack.client({
          on: {
            closed: (e) => t.closes.push({ code: (e as { code: number }).code, at: Date.now() }),
            message: (m) => {
              const position = positionOf(m);
              if (position !== undefined) t.wirePositions.push(position);
            },
          },
          onRecovery: (outcome) => t.recoveries.push(outcome),
        }),
        instanceId: '',
        closes: [],
        events: [],
        recoveries: [],
        wirePositions: [],
      };
      return t;
    });
    await withTimeout(
      'all clients connected',
      Promise.all(tracked.map(async (t) => (t.instanceId = await socketInstanceId(t.client, 15_000)))),
      20_000,
    );
    for (const t of tracked) {
      t.client.subscribe<{ messagePosted: Message }, { position?: string }>(
        { query: MESSAGE_POSTED, variables: { room: ROOM } },
        {
          next: (r) => {
            const seq = Number(r.data?.messagePosted.text.replace('seq:', ''));
            const position = /^1\.([^.]+)\.0-(\d+)$/.exec(String(r.extensions?.position));
            if (Number.isInteger(seq) && position !== null) {
              t.events.push({ seq, epoch: position[1]!, index: Number(position[2]), at: Date.now() });
            }
          },
          error: () => undefined,
          complete: () => undefined,
        },
      );
    }

    const [draining, survivor] = stack.instances as [(typeof stack.instances)[0], (typeof stack.instances)[0]];
    const onDraining = tracked.filter((t) => t.instanceId === draining.instanceId);
    const onSurvivor = tracked.filter((t) => t.instanceId === survivor.instanceId);
    expect(onDraining.length + onSurvivor.length).toBe(CLIENTS);
    // Round-robin spread them; both instances hold a real share.
    expect(onDraining.length).toBeGreaterThanOrEqual(CLIENTS / 4);
    expect(onSurvivor.length).toBeGreaterThanOrEqual(CLIENTS / 4);

    // Publisher: numbered messages over https through the proxy; only the accepted ones count as sent.
    const published: { seq: number; at: number }[] = [];
    let failedPosts = 0;
    publishing = true;
    const publishStart = Date.now();
    let publishStoppedAt = publishStart;
    publisher = (async () => {
      const posts: Promise<void>[] = [];
      for (let seq = 0; publishing; seq++) {
        const startedAt = Date.now();
        posts.push(
          stack.post(ROOM, `seq:${seq}`).then(
            (res) => {
              if (res.data?.postMessage) published.push({ seq, at: startedAt });
              else failedPosts++;
            },
            () => void failedPosts++,
          ),
        );
        // A fixed clock: the next post is due PUBLISH_EVERY_MS after this one started, answered or not.
        await sleep(Math.max(0, publishStart + (seq + 1) * PUBLISH_EVERY_MS - Date.now()));
      }
      publishStoppedAt = Date.now();
      await Promise.all(posts);
    })();

    // Every subscription live before the restart; messages from here on are the ones that must arrive.
    await waitFor('all subscriptions live', () => tracked.every((t) => t.events.length > 0), 15_000, 50);
    const liveAt = Date.now();

    // The rolling restart: ECS sends SIGTERM to the old task.
    const drainStart = Date.now();
    draining.process.kill('SIGTERM');

    const resubscribedAt = (t: Tracked) => {
      const closedAt = t.closes[0]?.at;
      return closedAt === undefined ? undefined : t.events.find((e) => e.at > closedAt)?.at;
    };
    await waitFor(
      'every drained client receiving again',
      () => onDraining.every((t) => resubscribedAt(t) !== undefined),
      RESUBSCRIBE_WITHIN_MS + 5_000,
      50,
    );
    const allBackAt = Date.now();
    // Let the publisher run on a little, then stop it and let the last deliveries land.
    await sleep(1_000);
    publishing = false;
    await publisher;
    await sleep(1_000);

    const exit = await withTimeout(
      'drained instance exit',
      draining.process.exited,
      stack.timing.stopTimeoutSeconds * 1000,
    );
    expect(exit).toEqual({ code: 0, signal: null });

    // Who is where now, asked over each client's current socket.
    const nowOn = await Promise.all(onDraining.map((t) => socketInstanceId(t.client, 10_000)));

    // Loss: accepted messages a client never received, from the first one after all were live.
    const sent = published.filter((p) => p.at >= liveAt).map((p) => p.seq);
    const lostBy = (t: Tracked) => {
      const got = new Set(t.events.map((e) => e.seq));
      return sent.filter((seq) => !got.has(seq)).length;
    };
    const drainedLoss = onDraining.map(lostBy);
    const survivorLoss = onSurvivor.map(lostBy);
    // Duplicates and order over everything each app sink received; publish order is position order.
    const duplicatedToApp = tracked.map((t) => duplicatesIn(t.events.map((e) => e.seq)));
    const duplicatedOnWire = tracked.map((t) => duplicatesIn(t.wirePositions));
    const outOfOrder = tracked.filter((t) =>
      t.events.some((e, i) => i > 0 && e.index <= t.events[i - 1]!.index),
    ).length;
    const epochs = new Set(tracked.flatMap((t) => t.events.map((e) => e.epoch)));
    const publishedForMs = publishStoppedAt - publishStart;
    const recoveries = onDraining.flatMap((t) => t.recoveries);
    const replayed = recoveries.map((r) => (r.recovered ? r.replayed : 0));
    const reconnectMs = onDraining.map((t) => resubscribedAt(t)! - t.closes[0]!.at);
    const allCodes = tracked.flatMap((t) => t.closes.map((c) => c.code));

    const report = {
      clients: CLIENTS,
      onDrainedInstance: onDraining.length,
      onSurvivor: onSurvivor.length,
      drainWindowMs: stack.timing.drainWindowSeconds * 1000,
      messagesAccepted: sent.length,
      postsFailed: failedPosts,
      publishEveryMs: PUBLISH_EVERY_MS,
      postsPerSecond: Math.round((published.length / publishedForMs) * 1000 * 10) / 10,
      closeCodes: allCodes.reduce<Record<number, number>>((acc, c) => ({ ...acc, [c]: (acc[c] ?? 0) + 1 }), {}),
      reconnectToReceivingMs: {
        p50: percentile(reconnectMs, 50),
        p95: percentile(reconnectMs, 95),
        max: Math.max(...reconnectMs),
      },
      allBackAfterSigtermMs: allBackAt - drainStart,
      lostByDrainedClients: {
        total: drainedLoss.reduce((a, b) => a + b, 0),
        perClientMean: Math.round((drainedLoss.reduce((a, b) => a + b, 0) / drainedLoss.length) * 100) / 100,
        perClientMax: Math.max(...drainedLoss),
        clientsThatLostNone: drainedLoss.filter((l) => l === 0).length,
      },
      lostBySurvivorClients: survivorLoss.reduce((a, b) => a + b, 0),
      duplicatedToApp: duplicatedToApp.reduce((a, b) => a + b, 0),
      duplicatedOnWire: duplicatedOnWire.reduce((a, b) => a + b, 0),
      clientsOutOfOrder: outOfOrder,
      replay: {
        resubscriptions: recoveries.length,
        recovered: recoveries.filter((r) => r.recovered).length,
        notRecovered: recoveries.filter((r) => !r.recovered).length,
        eventsReplayed: replayed.reduce((a, b) => a + b, 0),
        perClientMean: Math.round((replayed.reduce((a, b) => a + b, 0) / Math.max(1, replayed.length)) * 100) / 100,
        perClientMax: Math.max(0, ...replayed),
      },
    };
    console.log(`rolling restart: delivery across the drain\n${JSON.stringify(report, null, 2)}`);
    const artifacts = join(__dirname, '..', '..', 'e2e', 'artifacts');
    await mkdir(artifacts, { recursive: true });
    await writeFile(join(artifacts, 'rolling-restart.json'), JSON.stringify(report, null, 2));

    // Every client of the drained instance got 1012 first; no client anywhere saw 1006.
    for (const t of onDraining) expect(t.closes[0]?.code).toBe(1012);
    expect(allCodes).not.toContain(1006);
    // All of them are back, on the survivor, and received again within 10 s of their 1012.
    expect(nowOn.every((id) => id === survivor.instanceId)).toBe(true);
    expect(Math.max(...reconnectMs)).toBeLessThan(RESUBSCRIBE_WITHIN_MS);
    for (const t of onDraining) expect(t.client.stats.reconnects).toBeGreaterThanOrEqual(1);
    // The survivor's clients were untouched and lost nothing.
    for (const t of onSurvivor) expect(t.closes).toEqual([]);
    expect(report.lostBySurvivorClients).toBe(0);
    // Resume: nothing lost, nothing doubled (neither to the app nor on the wire), publish order kept.
    expect(report.lostByDrainedClients.total).toBe(0);
    expect(report.duplicatedToApp).toBe(0);
    expect(report.duplicatedOnWire).toBe(0);
    expect(report.clientsOutOfOrder).toBe(0);
    expect(epochs.size).toBe(1);
    expect(failedPosts).toBe(0);
    // Each drained client resubscribed once with its position and was told it recovered; the gap was real
    // (messages were posted while clients were away) and was filled from the history.
    for (const t of onDraining) expect(t.recoveries).toEqual([{ recovered: true, replayed: expect.any(Number) }]);
    for (const t of onSurvivor) expect(t.recoveries).toEqual([]);
    expect(report.replay.eventsReplayed).toBeGreaterThan(0);
    // The drain logged its batches over the window (jittered closing, not all at once).
    const batches = draining.process.logs.filter((l) => l.event === 'drain.batch');
    expect(batches.length).toBeGreaterThan(1);
  }, 60_000);
});
