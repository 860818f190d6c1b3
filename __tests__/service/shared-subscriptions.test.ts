/**
 * Shared subscriptions (WebSocket subscription de-duplication): for the same operations and the same
 * published events, a sharing-on app delivers exactly what a sharing-off app (per-connection execution)
 * delivers, over real graphql-ws clients; groups are per (document, variables, scope), per-connection
 * fields are never shared, and a group goes away (pub/sub listener removed) with its last member.
 */
import { SignJWT } from 'jose';
import { buildApp } from '../../service/src/app';
import { CLOSE_CODES } from '../../service/src/close-codes';
import { loadConfig } from '../../service/src/config';
import { SUBSCRIPTION_OVERFLOW } from '../../service/src/pubsub';
import type { Message } from '../../service/src/schema';
import { startTestApp, type StartTestAppOptions, type TestApp } from '../../testkit/app';
import { initializedSocket, rawSocket, wsClient, type RecordedWsClient } from '../../testkit/clients';
import { sleep, waitFor } from '../../testkit/wait';

type Event = ['next', unknown] | ['error', unknown] | ['complete'];

interface Recorder {
  readonly events: Event[];
  unsubscribe(): void;
  /** Waits until `count` events (next, error, complete) were recorded. */
  waitFor(count: number, timeoutMs?: number): Promise<Event[]>;
}

/** One subscription on a real graphql-ws client, recording every next payload, error and complete. */
function record(
  client: RecordedWsClient,
  payload: { query: string; variables?: Record<string, unknown>; operationName?: string },
): Recorder {
  const events: Event[] = [];
  const unsubscribe = client.client.subscribe(payload, {
    next: (value) => events.push(['next', withoutStacks(value)]),
    error: (err) => events.push(['error', err]),
    complete: () => events.push(['complete']),
  });
  return {
    events,
    unsubscribe,
    waitFor: (count, timeoutMs = 5_000) =>
      waitFor(
        `${count} event(s) (have ${JSON.stringify(events).slice(0, 300)})`,
        () => (events.length >= count ? events : undefined),
        timeoutMs,
      ),
  };
}

/**
 * Development mode shows an unexpected error's stack, whose last frames name the caller: graphql-ws's
 * loop per connection, the group's loop when shared. Everything else must be identical.
 */
const STACK = /"stack":"(?:[^"\\]|\\.)*"/g;
/** Event positions: the two apps keep separate histories (epochs); the ids within them must match. */
const EPOCH = /"position":"1\.[A-Za-z0-9_-]+\./g;
const normalize = (text: string): string => text.replace(STACK, '"stack":"-"').replace(EPOCH, '"position":"1.-.');
const withoutStacks = <T>(value: T): T => JSON.parse(normalize(JSON.stringify(value))) as T;

const MESSAGE_POSTED = 'subscription ($room: String!) { messagePosted(room: $room) { id room text sentAt } }';

const message = (room: string, i: number, text: string | null = `text ${i}`): Message =>
  ({ id: `m${i}`, room, text, sentAt: '2026-01-01T00:00:00.000Z' }) as Message;

describe('shared subscriptions deliver exactly what per-connection execution delivers', () => {
  let on: TestApp;
  let off: TestApp;
  const clients: RecordedWsClient[] = [];
  const client = (t: TestApp) => {
    const c = wsClient(t.wsUrl);
    clients.push(c);
    return c;
  };
  let roomSeq = 0;

  beforeAll(async () => {
    on = await startTestApp({ env: { LOG_LEVEL: 'warn' } });
    off = await startTestApp({ env: { LOG_LEVEL: 'warn', SHARED_SUBSCRIPTIONS: 'false' } });
    expect(on.config.sharedSubscriptions).toBe(true);
    expect(off.config.sharedSubscriptions).toBe(false);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.dispose()));
  });
  afterAll(async () => {
    await Promise.all([on?.stop(), off?.stop()]);
  });

  /** Live = the pub/sub listener(s) exist: `listeners` on the app (1 shared, or one per subscription). */
  const live = (t: TestApp, room: string, listeners: number) =>
    waitFor(
      `${listeners} listener(s) on room ${room}`,
      () => t.app.pubsub.subscriberCount('messagePosted', room) === listeners,
    );

  /**
   * Every one of `subscriptions` subscriptions to `room` is live. Shared, the group's one listener exists as
   * soon as its first member joined, so the members are counted too (the app-wide count: earlier tests'
   * sockets are disposed after each test, and the wait lasts until they are gone).
   */
  const ready = async (t: TestApp, room: string, subscriptions: number) => {
    if (!t.config.sharedSubscriptions) {
      await live(t, room, subscriptions);
      return;
    }
    await live(t, room, 1);
    await waitFor(`${subscriptions} members`, () => t.app.sharedSubscriptions().members === subscriptions);
  };

  /**
   * Subscribes `subscribers` clients with `operation` on both apps, publishes `events` to `room` on both,
   * waits for `expected` events per subscription, and returns the recordings of both apps.
   */
  async function both(
    operation: { query: string; variables?: Record<string, unknown>; operationName?: string },
    room: string,
    events: readonly Message[],
    expected: number,
    subscribers = 2,
  ): Promise<{ shared: Event[][]; perConnection: Event[][] }> {
    const run = async (t: TestApp) => {
      const recorders = Array.from({ length: subscribers }, () => record(client(t), operation));
      if (events.length > 0) await ready(t, room, subscribers);
      for (const event of events) await t.app.pubsub.publish('messagePosted', room, event);
      return Promise.all(recorders.map((r) => r.waitFor(expected)));
    };
    const shared = await run(on);
    const perConnection = await run(off);
    await sleep(50); // nothing more arrives
    return { shared, perConnection };
  }

  const cases: Array<
    [string, (room: string) => { query: string; variables?: Record<string, unknown>; operationName?: string }]
  > = [
    ['variables', (room) => ({ query: MESSAGE_POSTED, variables: { room } })],
    ['an inline argument', (room) => ({ query: `subscription { messagePosted(room: "${room}") { id text } }` })],
    [
      'aliases and __typename',
      (room) => ({
        query: `subscription ($r: String!) { m: messagePosted(room: $r) { key: id t: text __typename } }`,
        variables: { r: room },
      }),
    ],
    [
      'fragments (named and inline)',
      (room) => ({
        query: `subscription ($room: String!) { messagePosted(room: $room) { ...F ... on Message { sentAt } } } fragment F on Message { id room text }`,
        variables: { room },
      }),
    ],
    [
      'a named operation among several',
      (room) => ({
        query: `subscription A($room: String!) { messagePosted(room: $room) { id } } subscription B($room: String!) { messagePosted(room: $room) { text __typename } }`,
        variables: { room },
        operationName: 'B',
      }),
    ],
  ];

  test.each(cases)('%s', async (_name, operation) => {
    const room = `case-${++roomSeq}`;
    const events = [message(room, 1), message(room, 2), message(room, 3, 'ünïcödé "quoted" \\ </script>')];
    const { shared, perConnection } = await both(operation(room), room, events, 3);
    expect(shared[0]).toHaveLength(3);
    expect(shared[0]?.every(([kind]) => kind === 'next')).toBe(true);
    expect(shared[0]).toEqual(perConnection[0]);
    expect(shared[1]).toEqual(perConnection[1]);
    expect(shared[0]).toEqual(shared[1]);
  });

  test('one group per operation, its members counted; the last member leaving removes the group and its pub/sub listener', async () => {
    const room = `group-${++roomSeq}`;
    const c = client(on);
    const a = record(c, { query: MESSAGE_POSTED, variables: { room } });
    const b = record(client(on), { query: MESSAGE_POSTED, variables: { room } });
    // Same socket, another operation id, same operation: the same group.
    const a2 = record(c, { query: MESSAGE_POSTED, variables: { room } });
    await live(on, room, 1);
    await waitFor('3 members', () => on.app.sharedSubscriptions().members === 3);
    expect(on.app.sharedSubscriptions()).toEqual({ groups: 1, members: 3 });
    await on.app.pubsub.publish('messagePosted', room, message(room, 1));
    await Promise.all([a.waitFor(1), b.waitFor(1), a2.waitFor(1)]);
    a.unsubscribe();
    await waitFor('2 members', () => on.app.sharedSubscriptions().members === 2);
    b.unsubscribe();
    a2.unsubscribe();
    await waitFor('no group', () => on.app.sharedSubscriptions().groups === 0);
    expect(on.app.sharedSubscriptions()).toEqual({ groups: 0, members: 0 });
    await waitFor('no listener', () => on.app.pubsub.subscriberCount('messagePosted', room) === 0);
  });

  test('a resolver error when subscribing (invalid room): the same next + complete on both paths, no group left', async () => {
    const { shared, perConnection } = await both(
      { query: MESSAGE_POSTED, variables: { room: 'not a room!' } },
      'unused',
      [],
      2,
    );
    expect(shared[0]?.[0]?.[0]).toBe('next');
    expect(JSON.stringify(shared[0])).toContain('BAD_USER_INPUT');
    expect(shared[0]?.[1]).toEqual(['complete']);
    expect(shared).toEqual(perConnection);
    expect(on.app.sharedSubscriptions()).toEqual({ groups: 0, members: 0 });
  });

  test('a resolver error in one event (a null in a non-null field): the same error result, and the stream goes on', async () => {
    const room = `nullfield-${++roomSeq}`;
    const events = [message(room, 1), message(room, 2, null), message(room, 3)];
    const { shared, perConnection } = await both({ query: MESSAGE_POSTED, variables: { room } }, room, events, 3);
    expect(JSON.stringify(shared[0]?.[1])).toContain('Cannot return null for non-nullable field Message.text');
    expect(shared[0]?.[2]?.[0]).toBe('next');
    expect(shared).toEqual(perConnection);
  });

  test('a validation error (root __typename in a subscription) is answered the same, and creates no group', async () => {
    const { shared, perConnection } = await both({ query: 'subscription { __typename }' }, 'unused', [], 1);
    expect(shared[0]?.[0]?.[0]).toBe('error');
    expect(shared).toEqual(perConnection);
    expect(on.app.sharedSubscriptions().groups).toBe(0);
  });

  test('a room that receives many events: all of them, in order, identical', async () => {
    const room = `many-${++roomSeq}`;
    const events = Array.from({ length: 300 }, (_, i) => message(room, i));
    const { shared, perConnection } = await both({ query: MESSAGE_POSTED, variables: { room } }, room, events, 300, 3);
    expect(shared[2]).toHaveLength(300);
    expect(shared).toEqual(perConnection);
  });

  test('unsubscribing mid-stream: the leaver gets exactly the events before, the others all of them', async () => {
    const room = `leave-${++roomSeq}`;
    const run = async (t: TestApp) => {
      const leaver = record(client(t), { query: MESSAGE_POSTED, variables: { room } });
      const stayer = record(client(t), { query: MESSAGE_POSTED, variables: { room } });
      await ready(t, room, 2);
      for (let i = 0; i < 5; i++) await t.app.pubsub.publish('messagePosted', room, message(room, i));
      await leaver.waitFor(5);
      leaver.unsubscribe();
      await live(t, room, 1); // shared: the group's; per connection: the stayer's
      for (let i = 5; i < 10; i++) await t.app.pubsub.publish('messagePosted', room, message(room, i));
      await stayer.waitFor(10);
      await sleep(50);
      return [leaver.events, stayer.events];
    };
    const shared = await run(on);
    expect(on.app.sharedSubscriptions().members).toBe(1);
    const perConnection = await run(off);
    // graphql-ws's client completes the sink itself on unsubscribe.
    expect(shared[0]).toHaveLength(6);
    expect(shared[0]?.at(-1)).toEqual(['complete']);
    expect(shared[1]).toHaveLength(10);
    expect(shared).toEqual(perConnection);
  });

  test('a socket closed mid-stream leaves its group; the other members keep receiving', async () => {
    const room = `close-${++roomSeq}`;
    const run = async (t: TestApp) => {
      const closing = client(t);
      const gone = record(closing, { query: MESSAGE_POSTED, variables: { room } });
      const stayer = record(client(t), { query: MESSAGE_POSTED, variables: { room } });
      await ready(t, room, 2);
      for (let i = 0; i < 3; i++) await t.app.pubsub.publish('messagePosted', room, message(room, i));
      await gone.waitFor(3);
      await closing.dispose();
      await live(t, room, 1);
      for (let i = 3; i < 6; i++) await t.app.pubsub.publish('messagePosted', room, message(room, i));
      await stayer.waitFor(6);
      return [gone.events.slice(0, 3), stayer.events];
    };
    const shared = await run(on);
    await waitFor('one member left', () => on.app.sharedSubscriptions().members === 1);
    const perConnection = await run(off);
    expect(shared).toEqual(perConnection);
  });

  test('the frames are byte-identical to the per-connection ones (raw sockets, the same operation id)', async () => {
    const room = `bytes-${++roomSeq}`;
    const run = async (t: TestApp, listeners: number) => {
      const socket = await initializedSocket(t.wsUrl);
      const frames: string[] = [];
      socket.ws.on('message', (data) => frames.push(String(data)));
      socket.send({ id: 'op-"1"', type: 'subscribe', payload: { query: MESSAGE_POSTED, variables: { room } } });
      await live(t, room, listeners);
      await t.app.pubsub.publish('messagePosted', room, message(room, 1, 'a "quoted" text'));
      await t.app.pubsub.publish('messagePosted', room, message(room, 2, null));
      await waitFor('2 frames', () => frames.length >= 2);
      socket.close();
      await socket.closed;
      return frames.map(normalize);
    };
    const shared = await run(on, 1);
    const perConnection = await run(off, 1);
    expect(shared[0]).toContain('"id":"op-\\"1\\"","type":"next"');
    expect(shared[1]).toContain('"stack":"-"');
    expect(shared).toEqual(perConnection);
  });

  test('different variables make different groups; the same variables in another key order share one', async () => {
    const [r1, r2] = [`vars-a-${++roomSeq}`, `vars-b-${roomSeq}`];
    const query =
      'subscription ($room: String!, $withText: Boolean!) { messagePosted(room: $room) { id text @include(if: $withText) } }';
    record(client(on), { query, variables: { room: r1, withText: true } });
    record(client(on), { query, variables: { withText: true, room: r1 } });
    record(client(on), { query, variables: { room: r1, withText: false } });
    record(client(on), { query, variables: { room: r2, withText: true } });
    await live(on, r1, 2);
    await live(on, r2, 1);
    await waitFor('4 members', () => on.app.sharedSubscriptions().members === 4);
    expect(on.app.sharedSubscriptions().groups).toBe(3);
  });

  test('queries and mutations over WebSocket run per connection (no group)', async () => {
    const c = client(on);
    const result = await c.client.iterate({ query: '{ serverInfo { instanceId } }' }).next();
    expect(result.value?.data).toEqual({ serverInfo: { instanceId: on.config.instanceId } });
    expect(on.app.sharedSubscriptions()).toEqual({ groups: 0, members: 0 });
  });

  test('protocol rules still hold for shareable operations: 4409 on a duplicate id, 4401 before the ack', async () => {
    const room = `proto-${++roomSeq}`;
    const socket = await initializedSocket(on.wsUrl);
    const subscribe = { id: 'dup', type: 'subscribe', payload: { query: MESSAGE_POSTED, variables: { room } } };
    socket.send(subscribe);
    await live(on, room, 1);
    socket.send(subscribe);
    expect((await socket.closed).code).toBe(4409);
    await waitFor('group gone with the socket', () => on.app.sharedSubscriptions().groups === 0);

    const early = rawSocket(on.wsUrl);
    await early.opened;
    early.send(subscribe);
    expect((await early.closed).code).toBe(4401);
  });
});

describe('shared subscriptions: scope, per-connection fields, slow consumers, overflow', () => {
  const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';
  const token = (sub: string, claims: Record<string, unknown> = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(SECRET));

  async function withApp(
    options: StartTestAppOptions,
    body: (t: TestApp, client: () => RecordedWsClient) => Promise<void>,
  ): Promise<void> {
    const t = await startTestApp({ ...options, env: { LOG_LEVEL: 'warn', ...options.env } });
    const clients: RecordedWsClient[] = [];
    try {
      await body(t, () => {
        const c = wsClient(t.wsUrl);
        clients.push(c);
        return c;
      });
    } finally {
      await Promise.all(clients.map((c) => c.dispose()));
      await t.stop();
    }
  }

  test('two JWT subjects make two groups; two sockets of one subject share one; every member gets the event', async () => {
    await withApp({ env: { JWT_SECRET: SECRET } }, async (t) => {
      const as = async (sub: string) => {
        const c = wsClient(t.wsUrl, { connectionParams: { authorization: `Bearer ${await token(sub)}` } });
        return c;
      };
      const [alice1, alice2, bob] = await Promise.all([as('alice'), as('alice'), as('bob')]);
      try {
        const room = 'scoped';
        const recorders = [alice1, alice2, bob].map((c) => record(c, { query: MESSAGE_POSTED, variables: { room } }));
        await waitFor('3 members', () => t.app.sharedSubscriptions().members === 3);
        expect(t.app.sharedSubscriptions().groups).toBe(2);
        await waitFor('2 listeners (one per group)', () => t.app.pubsub.subscriberCount('messagePosted', room) === 2);
        await t.app.pubsub.publish('messagePosted', room, message(room, 1));
        const received = await Promise.all(recorders.map((r) => r.waitFor(1)));
        expect(received[1]).toEqual(received[0]);
        expect(received[2]).toEqual(received[0]);
      } finally {
        await Promise.all([alice1, alice2, bob].map((c) => c.dispose()));
      }
    });
  });

  test('one subject with other claims (a role) is another scope; the same claims in a fresh token share', async () => {
    await withApp({ env: { JWT_SECRET: SECRET } }, async (t) => {
      const as = async (claims: Record<string, unknown>) =>
        wsClient(t.wsUrl, { connectionParams: { authorization: `Bearer ${await token('carol', claims)}` } });
      const admin = await as({ role: 'admin' });
      await new Promise((resolve) => setTimeout(resolve, 1_100)); // another iat and exp
      const [adminAgain, reader] = await Promise.all([as({ role: 'admin' }), as({ role: 'reader' })]);
      try {
        const room = 'roles';
        for (const c of [admin, adminAgain, reader]) record(c, { query: MESSAGE_POSTED, variables: { room } });
        await waitFor('3 members', () => t.app.sharedSubscriptions().members === 3);
        expect(t.app.sharedSubscriptions().groups).toBe(2);
      } finally {
        await Promise.all([admin, adminAgain, reader].map((c) => c.dispose()));
      }
    });
  });

  test('an operation selecting a per-connection field runs per connection; others are still shared', async () => {
    await withApp({ sharedSubscriptions: { perConnectionFields: ['Message.sentAt'] } }, async (t, client) => {
      const room = 'per-connection';
      const direct = [
        record(client(), { query: MESSAGE_POSTED, variables: { room } }),
        record(client(), { query: MESSAGE_POSTED, variables: { room } }),
      ];
      const viaFragment = record(client(), {
        query:
          'subscription ($room: String!) { messagePosted(room: $room) { id ...F } } fragment F on Message { ...G } fragment G on Message { sentAt }',
        variables: { room },
      });
      const sharedA = record(client(), {
        query: 'subscription ($room: String!) { messagePosted(room: $room) { id text } }',
        variables: { room },
      });
      const sharedB = record(client(), {
        query: 'subscription ($room: String!) { messagePosted(room: $room) { id text } }',
        variables: { room },
      });
      // 3 per-connection listeners + 1 shared.
      await waitFor('4 listeners', () => t.app.pubsub.subscriberCount('messagePosted', room) === 4);
      // The group's listener exists once its first member joined: wait for the second too.
      await waitFor('2 members', () => t.app.sharedSubscriptions().members === 2);
      expect(t.app.sharedSubscriptions()).toEqual({ groups: 1, members: 2 });
      await t.app.pubsub.publish('messagePosted', room, message(room, 1));
      for (const r of [...direct, viaFragment, sharedA, sharedB]) await r.waitFor(1);
      expect(sharedA.events).toEqual(sharedB.events);
    });
  });

  test('an unknown per-connection field coordinate is refused when the app is built', () => {
    const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'error' });
    expect(() => buildApp(config, { sharedSubscriptions: { perConnectionFields: ['Message.nope', 'text'] } })).toThrow(
      /perConnectionFields: 'Message.nope': type 'Message' has no field 'nope'; 'text' is not a field coordinate/,
    );
  });

  test('a scope function returning undefined turns sharing off for those sockets', async () => {
    await withApp({ sharedSubscriptions: { scope: () => undefined } }, async (t, client) => {
      const room = 'unscoped';
      record(client(), { query: MESSAGE_POSTED, variables: { room } });
      record(client(), { query: MESSAGE_POSTED, variables: { room } });
      await waitFor('2 listeners', () => t.app.pubsub.subscriberCount('messagePosted', room) === 2);
      expect(t.app.sharedSubscriptions().groups).toBe(0);
    });
  });

  test('a slow consumer in a shared group is closed with 1013 while the other members keep receiving', async () => {
    await withApp({ limits: { maxBufferedBytes: 64 * 1024 } }, async (t, client) => {
      const room = 'slow-shared';
      const fast = record(client(), { query: MESSAGE_POSTED, variables: { room } });
      const slow = await initializedSocket(t.wsUrl);
      slow.send({ id: 's', type: 'subscribe', payload: { query: MESSAGE_POSTED, variables: { room } } });
      await waitFor('2 members', () => t.app.sharedSubscriptions().members === 2);
      expect(t.app.sharedSubscriptions().groups).toBe(1);
      // Stop reading: the kernel buffers fill, then the server's send buffer grows.
      (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const big = 'x'.repeat(16 * 1024);
      let published = 0;
      while (!t.logs.some((l) => l.event === 'ws.slow_consumer') && published < 2_000) {
        for (let i = 0; i < 20; i++, published++)
          void t.app.pubsub.publish('messagePosted', room, message(room, published, big));
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(t.logs.some((l) => l.event === 'ws.slow_consumer')).toBe(true);
      (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      expect((await slow.closed).code).toBe(CLOSE_CODES.slowConsumer);
      await waitFor('slow member gone', () => t.app.sharedSubscriptions().members === 1);
      await fast.waitFor(published, 20_000);
      await t.app.pubsub.publish('messagePosted', room, message(room, published, 'after'));
      const events = await fast.waitFor(published + 1);
      expect(events.every(([kind]) => kind === 'next')).toBe(true);
      expect(JSON.stringify(events.at(-1))).toContain('"after"');
    });
  });

  test.each([true, false])(
    'frames held for one write per turn do not make a reading peer look slow: a burst larger than the mark is delivered (shared: %s)',
    async (shared) => {
      await withApp(
        { env: { SHARED_SUBSCRIPTIONS: String(shared) }, limits: { maxBufferedBytes: 64 * 1024 } },
        async (t, client) => {
          const room = 'burst-shared';
          const recorders = [1, 2, 3].map(() => record(client(), { query: MESSAGE_POSTED, variables: { room } }));
          await waitFor('3 members', () => t.app.sharedSubscriptions().members === (shared ? 3 : 0));
          await waitFor('listeners', () => t.app.pubsub.subscriberCount('messagePosted', room) === (shared ? 1 : 3));
          // ~600 events x ~200 bytes in one turn: more than the 64 KB mark if they were all held back.
          for (let i = 0; i < 600; i++)
            void t.app.pubsub.publish('messagePosted', room, message(room, i, `burst ${i} ${'y'.repeat(60)}`));
          for (const r of recorders) expect(await r.waitFor(600)).toHaveLength(600);
          expect(t.logs.some((l) => l.event === 'ws.slow_consumer')).toBe(false);
        },
      );
    },
  );

  test('a shared stream that overflows fails every member like per-connection subscriptions: the same error, then 1013', async () => {
    const overflow = async (shared: boolean) => {
      let payloads: unknown[] = [];
      await withApp(
        { env: { SHARED_SUBSCRIPTIONS: String(shared) }, limits: { maxQueuedEventsPerSubscription: 10 } },
        async (t) => {
          const room = 'overflow';
          const sockets = await Promise.all([initializedSocket(t.wsUrl), initializedSocket(t.wsUrl)]);
          for (const s of sockets)
            s.send({ id: 'o', type: 'subscribe', payload: { query: MESSAGE_POSTED, variables: { room } } });
          await waitFor('listeners', () => t.app.pubsub.subscriberCount('messagePosted', room) === (shared ? 1 : 2));
          // 50 events in one tick: more than the queue bound before the consumer runs.
          for (let i = 0; i < 50; i++) void t.app.pubsub.publish('messagePosted', room, message(room, i));
          const errors = await Promise.all(sockets.map((s) => s.waitForMessage((m) => m.type === 'error')));
          payloads = errors.map((e) => e.payload);
          for (const s of sockets) expect((await s.closed).code).toBe(CLOSE_CODES.slowConsumer);
          await waitFor('no listener', () => t.app.pubsub.subscriberCount('messagePosted', room) === 0);
          expect(t.app.sharedSubscriptions()).toEqual({ groups: 0, members: 0 });
        },
      );
      return payloads;
    };
    const shared = await overflow(true);
    expect(JSON.stringify(shared)).toContain(SUBSCRIPTION_OVERFLOW);
    expect(shared).toEqual(await overflow(false));
  });
});
