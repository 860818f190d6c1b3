/**
 * SSE (GraphQL over SSE, distinct connections mode) with the real graphql-sse client and raw streams:
 * delivery, keepalive comments at the configured interval, connection accounting, overflow.
 */
import { SUBSCRIPTION_OVERFLOW } from '../../service/src/pubsub';
import { startTestApp, type TestApp } from '../../testkit/app';
import { MESSAGE_POSTED, postMessage, sseClient, subscribeRoomReady } from '../../testkit/clients';
import { sleep, waitFor } from '../../testkit/wait';

/** Opens a raw SSE stream and accumulates its text. */
async function openStream(graphqlUrl: string, room: string) {
  const controller = new AbortController();
  const response = await fetch(graphqlUrl, {
    method: 'POST',
    signal: controller.signal,
    headers: { accept: 'text/event-stream', 'content-type': 'application/json' },
    body: JSON.stringify({ query: MESSAGE_POSTED, variables: { room } }),
  });
  let text = '';
  let ended = false;
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const pump = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
    } catch {
      // aborted
    }
    ended = true;
  })();
  return {
    response,
    text: () => text,
    ended: () => ended,
    abort: async () => {
      controller.abort();
      await pump;
    },
  };
}

describe('SSE', () => {
  let t: TestApp;
  const intervalMs = 250;
  beforeAll(async () => {
    t = await startTestApp({
      env: { KEEPALIVE_INTERVAL_MS: String(intervalMs), LOG_LEVEL: 'info' },
      limits: { maxQueuedEventsPerSubscription: 10 },
    });
  });
  afterAll(() => t.stop());

  test('the graphql-sse client receives messages posted over HTTP', async () => {
    const client = sseClient(t.graphqlUrl);
    try {
      const subscription = await subscribeRoomReady(client, 'sse', (text) => postMessage(t.graphqlUrl, 'sse', text));
      const before = subscription.received.length;
      await postMessage(t.graphqlUrl, 'sse', 'over sse');
      const received = await subscription.waitForCount(before + 1);
      expect(received.at(-1)).toMatchObject({ room: 'sse', text: 'over sse' });
    } finally {
      client.dispose();
    }
  });

  test('keepalive comments arrive at the configured interval, between events', async () => {
    const started = Date.now();
    const stream = await openStream(t.graphqlUrl, 'sse-keepalive');
    expect(stream.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await sleep(intervalMs * 6);
    await postMessage(t.graphqlUrl, 'sse-keepalive', 'between pings');
    await sleep(intervalMs * 2);
    const text = stream.text();
    const elapsed = Date.now() - started;
    const keepalives = text.split(': keepalive\n\n').length - 1;
    // ~8 on an idle machine; a busy event loop delays timers, so only a floor well below that, and never
    // more than one per interval elapsed (plus one for the timer's phase).
    expect(keepalives).toBeGreaterThanOrEqual(3);
    expect(keepalives).toBeLessThanOrEqual(Math.floor(elapsed / intervalMs) + 1);
    // Every event is intact: a comment never lands between an event's lines.
    expect(text).toMatch(/event: next\ndata: \{"data":\{"messagePosted":\{[^\n]*"text":"between pings"/);
    await stream.abort();
  });

  test('SSE streams count as connections; a client that goes away frees its slot', async () => {
    const stream = await openStream(t.graphqlUrl, 'sse-count');
    await waitFor('one SSE connection', () => t.app.connections().sse === 1);
    const info = await fetch(`${t.url}/ready`).then((r) => r.json() as Promise<{ connections: { sse: number } }>);
    expect(info.connections.sse).toBe(1);
    // Earlier streams are gone (and logged) by now: only this one's close may follow.
    const from = t.logs.length;
    await stream.abort();
    await waitFor('no SSE connection', () => t.app.connections().sse === 0);
    expect(t.logs.slice(from).filter((l) => l.event === 'sse.close')).toEqual([
      expect.objectContaining({ reason: 'client closed' }),
    ]);
  });

  test('a subscription that overflows its queue ends with a SUBSCRIPTION_OVERFLOW error event, then complete', async () => {
    const stream = await openStream(t.graphqlUrl, 'sse-burst');
    await waitFor('stream live', async () => {
      await postMessage(t.graphqlUrl, 'sse-burst', 'probe');
      return stream.text().includes('probe');
    });
    for (let i = 0; i < 50; i++) {
      void t.app.pubsub.publish('messagePosted', 'sse-burst', {
        id: String(i),
        room: 'sse-burst',
        text: `e${i}`,
        sentAt: '',
      });
    }
    await waitFor('stream ended', () => stream.ended());
    const text = stream.text();
    expect(text).toMatch(
      new RegExp(
        `event: next\ndata: \\{"errors":\\[[^\n]*"code":"${SUBSCRIPTION_OVERFLOW}"[^\n]*\n\nevent: complete\n`,
      ),
    );
    // The backlog was dropped, not delivered: at most the first event, taken by the waiting consumer, came out.
    expect([...text.matchAll(/"text":"(e\d+)"/g)].map((m) => m[1]).slice(1)).toEqual([]);
    await waitFor('no SSE connection', () => t.app.connections().sse === 0);
  });
});
